// The code page: draws the QR from the signed token, refreshes the token before it expires, keeps
// a live clock, and says plainly when it could not refresh (a screenshot is useless: tokens expire
// within minutes). Works on old WebViews: ES5, no build step.
(function () {
  var root = document.getElementById("code");
  if (!root || typeof qrcode !== "function") return;
  var canvas = document.getElementById("qr");
  var clock = document.getElementById("clock");
  var status = document.getElementById("code-status");
  var url = root.getAttribute("data-refresh-url");
  var token = root.getAttribute("data-token");
  var expiresAt = Date.parse(root.getAttribute("data-expires-at"));
  var refreshAfter = parseInt(root.getAttribute("data-refresh-after"), 10) || 60;
  var texts = {
    failed: root.getAttribute("data-text-failed"),
    expired: root.getAttribute("data-text-expired")
  };
  var serverSkew = Date.parse(root.getAttribute("data-server-now")) - Date.now();
  var utcOffset = parseInt(root.getAttribute("data-utc-offset"), 10) || 0;

  function now() { return Date.now() + serverSkew; }

  function draw(value) {
    var qr = qrcode(0, "M");
    qr.addData(value, "Alphanumeric");
    qr.make();
    var count = qr.getModuleCount();
    var quiet = 4;
    var size = canvas.width;
    var cell = Math.floor(size / (count + quiet * 2));
    var offset = Math.floor((size - cell * count) / 2);
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    ctx.fillStyle = "#000";
    for (var r = 0; r < count; r++) {
      for (var c = 0; c < count; c++) {
        if (qr.isDark(r, c)) ctx.fillRect(offset + c * cell, offset + r * cell, cell, cell);
      }
    }
    canvas.setAttribute("data-version", String((count - 17) / 4));
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    // the region's wall-clock time, whatever zone the phone is set to
    var d = new Date(now() + utcOffset * 60000);
    clock.textContent = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    if (now() >= expiresAt) {
      root.className += root.className.indexOf(" expired") < 0 ? " expired" : "";
      status.textContent = texts.expired;
    }
  }

  function refresh() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.timeout = 10000;
    xhr.onload = function () {
      if (xhr.status === 200) {
        var body = JSON.parse(xhr.responseText);
        if (body.colour !== root.getAttribute("data-colour")) {
          window.location.reload(); // the colour changed: show its words and reasons too
          return;
        }
        token = body.token;
        expiresAt = Date.parse(body.expires_at);
        refreshAfter = body.refresh_after || refreshAfter;
        draw(token);
        root.className = root.className.replace(" expired", "");
        status.textContent = "";
        schedule(refreshAfter);
      } else {
        failed();
      }
    };
    xhr.onerror = xhr.ontimeout = failed;
    xhr.send();
  }

  function failed() {
    var left = Math.max(0, Math.round((expiresAt - now()) / 1000));
    status.textContent = texts.failed.replace("{seconds}", String(left));
    schedule(10);
  }

  function schedule(seconds) { setTimeout(refresh, seconds * 1000); }

  draw(token);
  tick();
  setInterval(tick, 1000);
  schedule(refreshAfter);
})();
