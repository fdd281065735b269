// Code pages: draws each QR from its signed token, refreshes tokens before they expire, keeps a
// live clock in the region's time, and says plainly when a refresh failed (a screenshot is
// useless: tokens expire within minutes). One or several codes per page (the family view).
// ES5 for old WebViews; no build step.
(function () {
  if (typeof qrcode !== "function") return;
  var codes = document.querySelectorAll("[data-code]");
  var clock = document.getElementById("clock");
  if (!codes.length) return;
  var first = codes[0];
  var serverSkew = Date.parse(first.getAttribute("data-server-now")) - Date.now();
  var utcOffset = parseInt(first.getAttribute("data-utc-offset"), 10) || 0;

  function now() { return Date.now() + serverSkew; }
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function draw(canvas, value) {
    var qr = qrcode(0, "M");
    qr.addData(value, "Alphanumeric");
    qr.make();
    var count = qr.getModuleCount();
    var size = canvas.width;
    var cell = Math.floor(size / (count + 8));
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

  function clockTime(ms) {
    var d = new Date(ms + utcOffset * 60000);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  function Code(root) {
    var self = this;
    this.root = root;
    this.canvas = root.querySelector("canvas");
    this.label = this.canvas.getAttribute("aria-label");
    this.status = root.querySelector(".code-status");
    this.url = root.getAttribute("data-refresh-url");
    this.expiresAt = Date.parse(root.getAttribute("data-expires-at"));
    this.refreshAfter = parseInt(root.getAttribute("data-refresh-after"), 10) || 60;
    this.failures = 0;
    draw(this.canvas, root.getAttribute("data-token"));
    setTimeout(function () { self.refresh(); }, this.refreshAfter * 1000);
  }

  // The status is a live region: it changes (and is read out) only when the state changes, in
  // words that stay true (a fixed time, never a countdown).
  Code.prototype.say = function (text) {
    if (this.status.textContent !== text) this.status.textContent = text;
  };

  Code.prototype.check = function () {
    if (now() >= this.expiresAt && this.root.className.indexOf(" expired") < 0) {
      this.root.className += " expired";
      this.canvas.setAttribute("aria-label", this.root.getAttribute("data-label-expired"));
      this.say(this.root.getAttribute("data-text-expired"));
    }
  };

  Code.prototype.refresh = function () {
    var self = this;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", this.url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.timeout = 10000;
    xhr.onload = function () {
      if (xhr.status !== 200) return self.failed(parseInt(xhr.getResponseHeader("Retry-After"), 10) || 0);
      var body = JSON.parse(xhr.responseText);
      if (body.colour !== self.root.getAttribute("data-colour")) {
        window.location.reload(); // the colour changed: show its words and reasons too
        return;
      }
      self.expiresAt = Date.parse(body.expires_at);
      self.refreshAfter = body.refresh_after || self.refreshAfter;
      draw(self.canvas, body.token);
      self.root.className = self.root.className.replace(" expired", "");
      self.canvas.setAttribute("aria-label", self.label);
      if (self.failures) self.say(self.root.getAttribute("data-text-refreshed"));
      self.failures = 0;
      setTimeout(function () { self.refresh(); }, self.refreshAfter * 1000);
    };
    xhr.onerror = xhr.ontimeout = function () { self.failed(); };
    xhr.send();
  };

  Code.prototype.failed = function (retryAfter) {
    var self = this;
    this.failures += 1;
    if (now() < this.expiresAt) {
      this.say(this.root.getAttribute("data-text-failed").replace("{time}", clockTime(this.expiresAt)));
    }
    // back off (10 s, 20 s, 40 s, then every minute), spread so that phones do not retry together,
    // and never sooner than the server asked (Retry-After)
    var wait = Math.min(60, 10 * Math.pow(2, this.failures - 1)) * (0.75 + Math.random() * 0.5);
    setTimeout(function () { self.refresh(); }, Math.max(wait, retryAfter || 0) * 1000);
  };

  var all = [];
  for (var i = 0; i < codes.length; i++) all.push(new Code(codes[i]));

  function tick() {
    var d = new Date(now() + utcOffset * 60000);
    if (clock) {
      clock.textContent = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
        pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    }
    for (var j = 0; j < all.length; j++) all[j].check();
  }
  tick();
  setInterval(tick, 1000);
})();
