// The checkpoint desk without network (SPEC §8): the page keeps the issuers' keys and the revoked
// token ids on the device, checks a code by itself (token-verify.js: WebCrypto, ES256) when the
// server cannot be reached, says how old that data is, keeps the scans and sends them when the
// network is back.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var input = document.getElementById("token");
  var configNode = document.getElementById("checkpoint-config");
  if (!form || !input || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var texts = config.texts;
  var statusNode = document.getElementById("offline-status");
  var queueNode = document.getElementById("offline-queue");
  var STORE = "hc.checkpoint.data";
  var QUEUE = "hc.checkpoint.queue";
  var REFRESH_MS = 60000, SERVER_WAIT_MS = 4000, STALE_HOURS = 24;
  var verifier = window.HealthCodeToken;
  var subtle = verifier && verifier.available;
  var online = true;

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined ? values[name] : all;
    });
  }
  function read(key, fallback) {
    try { var value = JSON.parse(localStorage.getItem(key)); return value === null ? fallback : value; }
    catch (error) { return fallback; }
  }
  function write(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (error) { return false; }
  }
  function clock(ms) {
    var d = new Date(ms);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  // --- what the device holds, and saying how old it is -------------------------------------------
  function showStatus() {
    if (!statusNode) return;
    var data = read(STORE, null);
    var text;
    if (!subtle) text = texts.unsupported;
    else if (!data) text = online ? "" : texts.none;
    else {
      var minutes = Math.max(0, Math.floor((Date.now() - data.fetchedAt) / 60000));
      text = say(online ? texts.ready : texts.offline, { time: clock(data.fetchedAt), minutes: minutes });
      if (minutes >= STALE_HOURS * 60) text += " " + say(texts.stale, { hours: Math.floor(minutes / 60) });
    }
    statusNode.textContent = text;
    statusNode.dataset.state = !data ? "none" : online ? "ready" : "offline";
    var waiting = read(QUEUE, []).filter(function (scan) { return scan.staff === config.staff; }).length;
    if (queueNode && (waiting || !queueNode.dataset.kept)) {
      queueNode.textContent = waiting ? say(texts.waiting, { count: waiting }) : "";
    }
  }

  function fetchJson(url) {
    return fetch(url, { cache: "no-cache", credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function refresh() {
    return Promise.all([fetchJson(config.urls.trust), fetchJson(config.urls.revocations)])
      .then(function (lists) {
        online = true;
        write(STORE, { trust: lists[0], revocations: lists[1], fetchedAt: Date.now() });
        return upload().catch(function () {}); // refused (signed out?): kept for the next try
      })
      .catch(function () { online = false; })
      .then(showStatus);
  }

  // --- sending what was scanned offline ----------------------------------------------------------
  function csrfToken() {
    var field = form.querySelector("input[name=_csrf_token]");
    return field ? field.value : "";
  }

  var uploading = null;
  function upload() {
    if (!uploading) uploading = send().then(done, function (error) { done(); throw error; });
    function done() { uploading = null; }
    return uploading;
  }

  function send() {
    // only this account's scans: another account signed in on this device sends its own
    var queue = read(QUEUE, []).filter(function (scan) { return scan.done && scan.staff === config.staff; });
    if (!queue.length) return Promise.resolve();
    var batch = queue.slice(0, 100).map(function (scan) {
      return { ref: scan.ref, staff: scan.staff, token: scan.token, scanned_at: scan.scannedAt,
               temperature: scan.temperature || "", decision: scan.decision || "",
               exception_reason: scan.exceptionReason || "" };
    });
    return fetch(config.urls.upload, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ scans: batch })
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (answer) {
      var settled = {};
      answer.recorded.concat(answer.duplicates).forEach(function (ref) { settled[ref] = true; });
      answer.rejected.forEach(function (item) { settled[item.ref] = true; });
      write(QUEUE, read(QUEUE, []).filter(function (scan) { return !settled[scan.ref]; }));
      if (queueNode && (answer.recorded.length || answer.rejected.length)) {
        var words = [];
        if (answer.recorded.length) words.push(say(texts.sent, { count: answer.recorded.length }));
        if (answer.rejected.length) {
          words.push(say(texts.rejected, { count: answer.rejected.length, reason: answer.rejected[0].message }));
        }
        queueNode.textContent = words.join(" ");
        queueNode.dataset.kept = words.length ? "1" : "";
      }
    });
  }

  // --- the offline verdict screen ------------------------------------------------------------
  var screen = document.getElementById("offline-result");
  var decisionForm = document.getElementById("offline-decision");
  var temperatureInput = document.getElementById("offline-temperature");
  var temperatureError = document.getElementById("offline-temperature-error");
  var buttons = document.getElementById("offline-buttons");
  var allowButton = document.getElementById("offline-allow");
  var denyButton = document.getElementById("offline-deny");
  var refuseButton = document.getElementById("offline-refuse");
  var exceptionBox = document.getElementById("offline-exception");
  var exceptionError = document.getElementById("offline-exception-error");
  var current = null;
  var greenValid = false;

  // Only a valid green code without a fever offers Allow first; anything else offers Refuse first
  // (the first button is what Enter presses) and letting through is the exception's own step.
  function setMode(passes) {
    [allowButton, denyButton].forEach(function (button) { button.hidden = button.disabled = !passes; });
    refuseButton.hidden = refuseButton.disabled = passes;
    if (passes) { buttons.prepend(denyButton); buttons.prepend(allowButton); }
    else buttons.prepend(refuseButton);
    if (exceptionBox.hidden !== passes) exceptionBox.open = false;
    exceptionBox.hidden = passes;
  }

  function typedTemperature() {
    var typed = temperatureInput.value.trim().replace(",", ".").replace("℃", "").replace("°C", "").trim();
    var value = /^\d{1,2}(\.\d{1,2})?$/.test(typed) ? parseFloat(typed) : NaN;
    var low = parseFloat(config.temperature.low), high = parseFloat(config.temperature.high);
    var valid = value >= low && value <= high;
    return { typed: typed, value: value, valid: valid, fever: valid && value >= parseFloat(config.temperature.fever) };
  }

  function fieldError(node, input, text) {
    node.textContent = text || "";
    node.hidden = !text;
    if (input) { if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid"); }
  }

  function fill(id, text) {
    var node = document.getElementById(id);
    if (node) { node.textContent = text || ""; node.hidden = !text; }
  }

  // The verdict is a modal dialog: everything around it is inert while it shows (no focus, no
  // reading), and the page's title says the verdict.
  var deskTitle = document.title;
  function setAround(inert) {
    var around = document.querySelectorAll("body > .skip, body > header, body > footer, main > :not(#offline-result)");
    Array.prototype.forEach.call(around, function (node) { node.inert = inert; });
  }

  function show(result, data, scan) {
    var claims = result.claims;
    var acceptable = result.reason === "ok";
    screen.className = "checkpoint-result " + (acceptable ? "colour-" + claims.colour : "unacceptable");
    screen.dataset.reason = result.reason;
    screen.dataset.colour = claims ? claims.colour : "";
    fill("offline-verdict", acceptable ? config.colours[claims.colour] : texts.not_acceptable);
    fill("offline-reason", (acceptable && config.advice[claims.colour]) || config.reasons[result.reason] || config.reasons.malformed);
    fill("offline-name", claims && claims.name);
    fill("offline-doc-label", claims && config.docLabel);
    fill("offline-last-four", claims && claims.document.slice(-4));
    fill("offline-document", claims && claims.document);
    fill("offline-claimed", !acceptable && claims ? say(texts.claims, { colour: config.colours[claims.colour] }) : "");
    fill("offline-source", say(texts.checked_here, { time: clock(data.fetchedAt) }));
    temperatureInput.value = "";
    fieldError(temperatureError, temperatureInput, "");
    fieldError(exceptionError, null, "");
    exceptionBox.querySelectorAll("input[type=radio]").forEach(function (radio) { radio.checked = false; });
    greenValid = acceptable && claims.colour === "green";
    setMode(greenValid);
    current = scan;
    screen.hidden = false;
    setAround(true);
    document.title = document.getElementById("offline-verdict").textContent + " · " + deskTitle;
    document.getElementById("offline-verdict").focus();
  }

  function keep(scan) {
    var queue = read(QUEUE, []).filter(function (item) { return item.ref !== scan.ref; });
    queue.push(scan);
    write(QUEUE, queue);
  }

  function newRef() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function checkHere(token, ref) {
    var data = read(STORE, null);
    online = false;
    showStatus();
    if (!data || !subtle) { input.focus(); return; }
    var now = Math.floor(Date.now() / 1000);
    verifier.verify(token, data, now).then(function (result) {
      var scan = { ref: ref, staff: config.staff, token: token, scannedAt: now, done: false };
      keep(scan);
      show(result, data, scan);
      input.value = "";
      showStatus();
    });
  }

  function closeScreen() {
    if (current) { current.done = true; keep(current); }
    current = null;
    screen.hidden = true;
    setAround(false);
    document.title = deskTitle;
    fill("notice-offline", texts.saved);
    showStatus();
    input.focus();
  }

  if (screen && decisionForm) {
    temperatureInput.addEventListener("input", function () {
      setMode(greenValid && !typedTemperature().fever);
    });
    // The button pressed (older WebViews have no event.submitter); Enter with none is a refusal.
    var pressed = null;
    decisionForm.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[type=submit]") : null;
      if (button) pressed = button;
    });
    decisionForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var taken = typedTemperature();
      var submitter = event.submitter || pressed;
      pressed = null;
      var decision = submitter ? submitter.value : "deny";
      if (taken.typed && !taken.valid) {
        fieldError(temperatureError, temperatureInput, say(texts.temperature_invalid, config.temperature));
        temperatureInput.focus();
        return;
      }
      var exception = "";
      if (decision === "allow") {
        if (config.temperature.required && !taken.typed) {
          fieldError(temperatureError, temperatureInput, texts.temperature_required);
          temperatureInput.focus();
          return;
        }
        if (!greenValid || taken.fever) {
          var chosen = exceptionBox.querySelector("input[type=radio]:checked");
          if (!chosen) {
            exceptionBox.hidden = false;
            exceptionBox.open = true;
            fieldError(exceptionError, null, texts.exception_required);
            exceptionBox.querySelector("input[type=radio]").focus();
            return;
          }
          exception = chosen.value;
        }
      }
      if (current) {
        current.temperature = taken.typed;
        current.decision = decision;
        current.exceptionReason = exception;
      }
      closeScreen();
    });
    document.getElementById("offline-next").addEventListener("click", closeScreen);
  }

  // --- a scan: the server when it answers, the device when it does not --------------------------
  form.addEventListener("submit", function (event) {
    if (event.defaultPrevented || !window.fetch || !window.AbortController) return;
    event.preventDefault();
    var token = input.value.trim();
    var ref = newRef(); // the same id online and in the queue: the server logs the scan once
    var body = new URLSearchParams(new FormData(form));
    body.set("ref", ref);
    var waited = new AbortController();
    var timer = setTimeout(function () { waited.abort(); }, SERVER_WAIT_MS);
    fetch(form.action, {
      method: "POST", credentials: "same-origin", signal: waited.signal,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }).then(function (response) {
      if (response.status >= 500) throw new Error("HTTP " + response.status); // a proxy's error page
      return response.text().then(function (html) {
        clearTimeout(timer);
        var page = new DOMParser().parseFromString(html, "text/html");
        document.title = page.title;
        document.body.replaceWith(document.adoptNode(page.body));
        var heading = document.querySelector("h1");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      });
    }).catch(function () {
      clearTimeout(timer);
      checkHere(token, ref);
    });
  });

  // The desk itself opens without network once a service worker has kept it (checkpoint-sw.js).
  if (navigator.serviceWorker && config.urls.worker) {
    navigator.serviceWorker.register(config.urls.worker, { scope: config.urls.desk }).catch(function () {});
  }

  window.addEventListener("online", refresh);
  window.addEventListener("offline", function () { online = false; showStatus(); });
  // a verdict left open when the page went away (reload, closed tab) is still a scan to send
  write(QUEUE, read(QUEUE, []).map(function (scan) { scan.done = true; return scan; }));
  showStatus();
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
