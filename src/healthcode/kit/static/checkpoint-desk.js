// The checkpoint desk for a whole shift (SPEC §8): one page, never reloaded between people.
//
// Local first: on Enter the page checks the code by itself (token-verify.js, WebCrypto) against the
// lists it keeps (checkpoint-lists.js: verified against the key pinned at set-up) and draws the
// verdict at once. The server is told in the background (POST /staff/checkpoint/scan, JSON); when
// its answer differs (a revocation newer than the device's list), it replaces the verdict on
// screen, with a sound and an alert for screen readers, or, if the person was already decided, says
// so at the top of the desk. Every scan waits in one queue on the device ("hc.checkpoint.queue")
// with the official's temperature and decision, and the queue goes to
// POST /staff/checkpoint/offline-scans in batches of 100, one after another, so a day without network
// uploads without freezing the page; the server logs a scan it never saw as an offline scan and
// gives a scan it logged already its decision. The log of scans is kept in place, bounded.
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
  var problemNode = document.getElementById("lists-problem");
  var noticeNode = document.getElementById("notice");
  var lateNode = document.getElementById("late-answer");
  var logNode = document.getElementById("scans");
  var QUEUE = "hc.checkpoint.queue";
  var REFRESH_MS = 60000, SERVER_WAIT_MS = 10000, UPLOAD_WAIT_MS = 30000, STALE_HOURS = 24, BATCH = 100;
  var verifier = window.HealthCodeToken;
  var lists = window.HealthCodeDeskLists;
  var subtle = !!(verifier && verifier.available && lists && lists.available);
  var online = true, uploadFailed = false, signedOut = false, refused = [];

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined ? values[name] : all;
    });
  }
  // Times in the region's zone, as the server writes them in the log, whatever the device's zone.
  var parts = (function () {
    try {
      var format = new Intl.DateTimeFormat("en-CA", {
        timeZone: config.timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit"
      });
      return function (ms) {
        var found = {};
        format.formatToParts(new Date(ms)).forEach(function (p) { found[p.type] = p.value; });
        return found;
      };
    } catch (e) {
      return function (ms) {
        var d = new Date(ms);
        return { year: String(d.getFullYear()), month: two(d.getMonth() + 1), day: two(d.getDate()),
                 hour: two(d.getHours()), minute: two(d.getMinutes()) };
      };
    }
  })();
  function two(n) { return ("0" + n).slice(-2); }
  function clock(ms) { var p = parts(ms); return p.hour + ":" + p.minute; }
  function day(ms) { var p = parts(ms); return p.year + "-" + p.month + "-" + p.day + " " + clock(ms); }
  function later(task) { setTimeout(task, 0); }

  // --- the queue: this page's copy is the one it works with; storage keeps it across reloads ------
  // Writing it is one task as long as the queue (tens of milliseconds for a day's 10,000 scans), so
  // an upload run writes it once, at its end: a page gone mid-run sends some scans again, and the
  // server knows them by their ids.
  var queue = [];
  try { queue = JSON.parse(localStorage.getItem(QUEUE)) || []; } catch (error) { queue = []; }
  // a verdict left open when the page went away (reload, closed tab) is still a scan to send
  var reopened = queue.some(function (scan) { return !scan.done; });
  queue.forEach(function (scan) { scan.done = true; });
  var saving = false;
  function save() {
    if (saving) return;
    saving = true;
    later(function () {
      saving = false;
      try { localStorage.setItem(QUEUE, JSON.stringify(queue)); } catch (error) { /* full: kept in memory */ }
    });
  }
  function mine(scan) { return scan.staff === config.staff; }

  // --- what the device holds, and saying how old it is -------------------------------------------
  function showStatus() {
    var data = lists && lists.held();
    if (statusNode) {
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
    }
    if (problemNode) {
      var problem = refused.map(function (name) { return texts["refused_" + name]; });
      if (problem.length) problem.push(data ? say(texts.kept, { time: clock(data.fetchedAt) }) : texts.none_kept);
      var words = problem.join(" ");
      if (problemNode.textContent !== words) problemNode.textContent = words;
      problemNode.hidden = !words;
      problemNode.dataset.refused = refused.join(" ");
    }
    var waiting = 0;
    queue.forEach(function (scan) { if (mine(scan) && !scan.server) waiting++; });
    if (queueNode && (waiting || !queueNode.dataset.kept)) {
      queueNode.textContent = waiting && (!online || uploadFailed) ? say(texts.waiting, { count: waiting }) : "";
      if (waiting && signedOut) queueNode.textContent += " " + texts.signed_out;
    }
  }

  function within(url, options, waitMs) {
    var waited = new AbortController();
    var timer = setTimeout(function () { waited.abort(); }, waitMs);
    options.signal = waited.signal;
    options.credentials = "same-origin";
    return fetch(url, options).then(function (response) {
      clearTimeout(timer);
      // the sign-in has ended (a shift longer than it): sent to the sign-in page, or refused
      signedOut = response.redirected || response.status === 401 || response.status === 403;
      if (!response.ok || signedOut) throw new Error("HTTP " + response.status);
      return response.json();
    }, function (error) { clearTimeout(timer); throw error; });
  }

  function refresh() {
    if (!subtle) { showStatus(); return Promise.resolve(); }
    return lists.refresh(config.urls, SERVER_WAIT_MS)
      .then(function (outcome) {
        online = true;
        refused = outcome.refused;
        upload();
      }, function () { online = false; })
      .then(showStatus);
  }

  // --- sending the queue, a batch at a time -------------------------------------------------------
  function csrfToken() {
    var field = form.querySelector("input[name=_csrf_token]");
    return field ? field.value : "";
  }

  // One run sends batch after batch until the queue is empty; it says what the whole run sent.
  var uploading = false, run = { recorded: 0, rejected: 0, reason: "" };
  function upload(chained) {
    if (uploading) return;
    if (chained !== true) run = { recorded: 0, rejected: 0, reason: "" };
    var batch = [];
    for (var i = 0; i < queue.length && batch.length < BATCH; i++) {
      if (queue[i].done && mine(queue[i])) batch.push(queue[i]);
    }
    if (!batch.length) {
      if (chained === true) save(); // the end of a run
      uploadFailed = false;
      showStatus();
      return;
    }
    uploading = true;
    within(config.urls.upload, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ scans: batch.map(function (scan) {
        return { ref: scan.ref, staff: scan.staff, token: scan.token, scanned_at: scan.scannedAt,
                 temperature: scan.temperature || "", decision: scan.decision || "",
                 exception_reason: scan.exceptionReason || "" };
      }) })
    }, UPLOAD_WAIT_MS).then(function (answer) {
      uploading = false;
      uploadFailed = false;
      var settled = new Set(answer.recorded.concat(answer.duplicates));
      answer.rejected.forEach(function (item) { settled.add(item.ref); });
      queue = queue.filter(function (scan) { return !settled.has(scan.ref); });
      run.recorded += answer.recorded.length;
      run.rejected += answer.rejected.length;
      if (answer.rejected.length) run.reason = answer.rejected[0].message;
      if (queueNode && (run.recorded || run.rejected)) {
        var words = [];
        if (run.recorded) words.push(say(texts.sent, { count: run.recorded }));
        if (run.rejected) words.push(say(texts.rejected, { count: run.rejected, reason: run.reason }));
        queueNode.textContent = words.join(" ");
        queueNode.dataset.kept = "1";
      }
      // the next batch after the page has had its turn: a day's scans never freeze the desk
      if (settled.size) later(function () { upload(true); }); else { save(); showStatus(); }
    }, function () {
      uploading = false;
      save();
      uploadFailed = true; // kept for the next refresh (signed out, no network)
      showStatus();
    });
  }

  // --- the verdict screen -----------------------------------------------------------------------
  var screen = document.getElementById("result");
  var decisionForm = document.getElementById("decision-form");
  var temperatureInput = document.getElementById("temperature");
  var temperatureError = document.getElementById("temperature-error");
  var buttons = document.getElementById("decision-buttons");
  var allowButton = document.getElementById("allow");
  var denyButton = document.getElementById("deny");
  var refuseButton = document.getElementById("refuse");
  var exceptionBox = document.getElementById("exception");
  var exceptionError = document.getElementById("exception_reason-error");
  var verdictNode = document.getElementById("verdict");
  var replacedNode = document.getElementById("server-replaced");
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

  function fieldError(node, field, text) {
    node.textContent = text || "";
    node.hidden = !text;
    if (field) { if (text) field.setAttribute("aria-invalid", "true"); else field.removeAttribute("aria-invalid"); }
  }

  function fill(id, text) {
    var node = document.getElementById(id);
    if (node) { node.textContent = text || ""; node.hidden = !text; }
  }

  // The verdict is a modal dialog: everything around it is inert while it shows (no focus, no
  // reading), and the page's title says the verdict.
  var deskTitle = document.title;
  var around = document.querySelectorAll("body > .skip, body > header, body > footer, main > :not(#result)");
  function setAround(inert) {
    Array.prototype.forEach.call(around, function (node) { node.inert = inert; });
  }

  // A verdict: {reason, colour, name, document}, from this device's check or the server's answer.
  function render(verdict, scan, source) {
    var acceptable = verdict.reason === "ok" && !!verdict.colour;
    screen.className = "checkpoint-result " + (acceptable ? "colour-" + verdict.colour : "unacceptable");
    screen.dataset.reason = verdict.reason;
    screen.dataset.colour = verdict.colour || "";
    fill("verdict", acceptable ? config.colours[verdict.colour] : texts.not_acceptable);
    fill("reason", (acceptable && config.advice[verdict.colour]) || config.reasons[verdict.reason] || config.reasons.malformed);
    fill("masked-name", verdict.name);
    fill("doc-label", verdict.name && config.docLabel);
    fill("last-four", verdict.document && verdict.document.slice(-4));
    fill("masked-document", verdict.document);
    fill("colour-claimed", !acceptable && verdict.colour ? say(texts.claims, { colour: config.colours[verdict.colour] }) : "");
    fill("verdict-source", source);
    greenValid = acceptable && verdict.colour === "green";
    setMode(greenValid && !typedTemperature().fever);
    current = scan;
    screen.hidden = false;
    setAround(true);
    document.title = verdictNode.textContent + " · " + deskTitle;
    verdictNode.focus();
  }

  function show(verdict, scan, data) {
    temperatureInput.value = "";
    fieldError(temperatureError, temperatureInput, "");
    fieldError(exceptionError, null, "");
    exceptionBox.querySelectorAll("input[type=radio]").forEach(function (radio) { radio.checked = false; });
    fill("server-replaced", "");
    delete screen.dataset.replaced;
    render(verdict, scan, say(texts.checked_here, { time: clock(data.fetchedAt) }));
  }

  var audio = null;
  function sound() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.25].forEach(function (at) {
        var tone = audio.createOscillator(), gain = audio.createGain();
        tone.frequency.value = 880;
        gain.gain.value = 0.3;
        tone.connect(gain);
        gain.connect(audio.destination);
        tone.start(audio.currentTime + at);
        tone.stop(audio.currentTime + at + 0.18);
      });
    } catch (error) { /* no audio: the words and the colour say it */ }
  }

  function closeScreen(notice) {
    if (current) { current.done = true; addToLog(current); save(); }
    current = null;
    screen.hidden = true;
    setAround(false);
    document.title = deskTitle;
    if (noticeNode) { noticeNode.textContent = notice || ""; noticeNode.hidden = !notice; }
    later(upload);
    showStatus();
    input.focus();
  }

  // --- the log of scans, kept in place and bounded -------------------------------------------------
  var ZH = /[\u3400-\u9fff]/;
  function logLine(scan) {
    var item = document.createElement("li");
    item.dataset.ref = scan.ref;
    item.dataset.decision = scan.decision || "";
    var dot = document.createElement("span");
    dot.className = "dot " + (scan.colour || "");
    dot.setAttribute("aria-hidden", "true");
    item.appendChild(dot);
    var when = day(scan.scannedAt * 1000);
    item.appendChild(document.createTextNode(" " + when + " · "));
    var name = document.createElement("span");
    name.textContent = scan.name || "—";
    if (scan.name && ZH.test(scan.name) && !/^zh/.test(document.documentElement.lang)) name.lang = "zh-CN";
    item.appendChild(name);
    item.appendChild(document.createTextNode(" · "));
    var colour = document.createElement("strong");
    colour.textContent = scan.colour ? config.colours[scan.colour] : texts.no_colour;
    item.appendChild(colour);
    var tail = "";
    if (scan.reason !== "ok") tail += " · " + (config.logReasons[scan.reason] || config.logReasons.malformed);
    var taken = scan.temperature ? parseFloat(scan.temperature.replace(",", ".")) : NaN;
    if (!isNaN(taken)) tail += " · " + taken.toFixed(1) + "\u00a0°C";
    item.appendChild(document.createTextNode(tail + " · "));
    var decided = scan.exceptionReason ? say(texts.exception, { reason: config.exceptions[scan.exceptionReason] })
      : scan.decision === "allow" ? texts.allowed : scan.decision === "deny" ? texts.refused : "";
    if (decided) {
      var strong = document.createElement("strong");
      strong.textContent = decided;
      item.appendChild(strong);
    } else item.appendChild(document.createTextNode(texts.undecided));
    if (!scan.server) item.appendChild(document.createTextNode(" · " + texts.checked_offline));
    return item;
  }

  // A new line on top; `again`: only a line still shown is written again (a later server answer).
  function addToLog(scan, again) {
    if (!logNode) return;
    var shown = logNode.querySelector("li[data-ref='" + scan.ref + "']");
    if (shown) { shown.replaceWith(logLine(scan)); return; }
    if (again) return;
    logNode.prepend(logLine(scan));
    var length = parseInt(logNode.dataset.length, 10) || 20;
    while (logNode.children.length > length) logNode.lastElementChild.remove();
    var empty = document.getElementById("no-scans");
    if (empty) empty.hidden = true;
  }

  // --- telling the server, and its answer when it differs ------------------------------------------
  function tellServer(scan) {
    var body = new URLSearchParams(new FormData(form));
    body.set("token", scan.token);
    body.set("ref", scan.ref);
    within(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: body.toString()
    }, SERVER_WAIT_MS).then(function (answer) {
      var server = answer.verification;
      scan.server = true;
      online = true;
      if (server.reason === scan.reason && (server.colour || "") === (scan.colour || "")) {
        if (current !== scan) addToLog(scan, true);
        save();
        return;
      }
      var before = scan.colour && scan.reason === "ok" ? config.colours[scan.colour] : texts.not_acceptable;
      scan.reason = server.reason;
      scan.colour = server.colour || "";
      scan.name = server.masked_name || scan.name;
      save();
      sound();
      var verdict = { reason: server.reason, colour: server.colour, name: server.masked_name, document: server.masked_document };
      if (current === scan) {
        screen.dataset.replaced = "server";
        render(verdict, scan, "");
        fill("server-replaced", texts.server_replaced);
        return;
      }
      addToLog(scan, true);
      var now = server.reason === "ok" && server.colour ? config.colours[server.colour] : texts.not_acceptable;
      lateNode.textContent = say(texts.server_late, {
        name: scan.name || "—", verdict: now,
        reason: config.reasons[server.reason] || config.reasons.malformed
      });
      lateNode.dataset.ref = scan.ref;
      lateNode.dataset.before = before;
      lateNode.hidden = false;
    }, function () {
      online = false; // no answer: the scan waits in the queue, and the upload logs it
      showStatus();
    });
  }

  // --- a scan: decided here, at once --------------------------------------------------------------
  function newRef() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  form.addEventListener("submit", function (event) {
    var data = subtle && lists.held();
    if (event.defaultPrevented || !data || !window.fetch || !window.AbortController) return; // the server's page
    event.preventDefault();
    var token = input.value.trim();
    input.value = "";
    var now = Math.floor(Date.now() / 1000);
    var scan = { ref: newRef(), staff: config.staff, token: token, scannedAt: now, done: false };
    verifier.verify(token, data, now).then(function (result) {
      var claims = result.claims;
      scan.reason = result.reason;
      scan.colour = claims ? claims.colour : "";
      scan.name = claims ? claims.name : "";
      if (lateNode) lateNode.hidden = true;
      show({ reason: result.reason, colour: scan.colour, name: scan.name, document: claims && claims.document }, scan, data);
      queue.push(scan);
      later(function () { save(); tellServer(scan); });
    });
  });

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
      closeScreen(config.notices[exception ? "exception" : decision]);
    });
    document.getElementById("next").addEventListener("click", function () { closeScreen(""); });
  }

  // The desk itself opens without network once a service worker has kept it (checkpoint-sw.js).
  if (navigator.serviceWorker && config.urls.worker) {
    navigator.serviceWorker.register(config.urls.worker, { scope: config.urls.desk }).catch(function () {});
  }

  if (lists) lists.setUp(config.pin);
  window.addEventListener("online", refresh);
  window.addEventListener("offline", function () { online = false; showStatus(); });
  if (reopened) save();
  showStatus();
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
