// The checkpoint desk without network (SPEC §8): the page keeps the issuers' keys and the revoked
// token ids on the device, checks a code's signature by itself (WebCrypto, ES256) when the server
// cannot be reached, says how old that data is, keeps the scans and sends them when the network is
// back. The checks are those of healthcode.domain.tokens.verifying, in the same order:
// envelope -> kid -> signature (before the claims are read) -> claims -> issuer and key window ->
// expired / not yet valid / revoked.
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
  var LEEWAY = 30, REFRESH_MS = 60000, SERVER_WAIT_MS = 4000, STALE_HOURS = 24;
  var subtle = window.crypto && window.crypto.subtle;
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
    var waiting = read(QUEUE, []).length;
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
        return upload();
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
    var queue = read(QUEUE, []).filter(function (scan) { return scan.done; });
    if (!queue.length) return Promise.resolve();
    var batch = queue.slice(0, 100).map(function (scan) {
      return { ref: scan.ref, token: scan.token, scanned_at: scan.scannedAt,
               temperature: scan.temperature || "", decision: scan.decision || "" };
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

  // --- Base45 and CBOR, strictly, as far as a token needs them -----------------------------------
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  function Malformed() {}
  function b45decode(text) {
    if (text.length % 3 === 1) throw new Malformed();
    var out = [];
    for (var i = 0; i < text.length; i += 3) {
      var chunk = text.substr(i, 3), value = 0;
      for (var j = chunk.length - 1; j >= 0; j--) {
        var digit = B45.indexOf(chunk.charAt(j));
        if (digit < 0) throw new Malformed();
        value = value * 45 + digit;
      }
      if (chunk.length === 3) {
        if (value > 0xffff) throw new Malformed();
        out.push(value >> 8, value & 0xff);
      } else {
        if (value > 0xff) throw new Malformed();
        out.push(value);
      }
    }
    return new Uint8Array(out);
  }

  var utf8 = new TextDecoder("utf-8", { fatal: true });
  function cbor(bytes, allowTag) {
    var at = 0;
    function take(n) {
      if (at + n > bytes.length) throw new Malformed();
      var part = bytes.subarray(at, at + n); at += n; return part;
    }
    function length(info) {
      if (info < 24) return info;
      var size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (!size) throw new Malformed(); // indefinite lengths and reserved values
      var value = 0, part = take(size);
      for (var i = 0; i < size; i++) value = value * 256 + part[i];
      if (value > Number.MAX_SAFE_INTEGER) throw new Malformed();
      return value;
    }
    function item(depth) {
      if (depth > 4) throw new Malformed();
      var head = take(1)[0], major = head >> 5, info = head & 31, n, i, value;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw new Malformed(); // no floats or other simple values in a token
      }
      n = length(info);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: return take(n).slice();
        case 3: try { return utf8.decode(take(n)); } catch (error) { throw new Malformed(); }
        case 4: value = []; for (i = 0; i < n; i++) value.push(item(depth + 1)); return value;
        case 5:
          value = new Map();
          for (i = 0; i < n; i++) {
            var key = item(depth + 1);
            if (typeof key !== "number" || value.has(key)) throw new Malformed();
            value.set(key, item(depth + 1));
          }
          return value;
        default:
          if (!allowTag || depth !== 0 || n !== 18) throw new Malformed();
          return { tag: 18, value: item(depth + 1) };
      }
    }
    var result = item(0);
    if (at !== bytes.length) throw new Malformed();
    return result;
  }

  function bstrHead(n) {
    if (n < 24) return [0x40 + n];
    if (n < 256) return [0x58, n];
    return [0x59, n >> 8, n & 0xff];
  }
  function sigStructure(protectedBytes, payload) {
    var context = [0x84, 0x6a].concat(Array.prototype.slice.call(new TextEncoder().encode("Signature1")));
    var parts = context.concat(bstrHead(protectedBytes.length), Array.prototype.slice.call(protectedBytes),
      [0x40], bstrHead(payload.length), Array.prototype.slice.call(payload));
    return new Uint8Array(parts);
  }

  function unb64url(text) {
    var s = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var raw = atob(s), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function isInt(value) { return typeof value === "number" && Math.floor(value) === value; }

  // --- the verification ------------------------------------------------------------------------
  function trustedKeys(data) {
    var lists = [data.trust].concat(data.trust.trusted || []);
    var keys = [];
    lists.forEach(function (list) { (list.keys || []).forEach(function (jwk) { keys.push(jwk); }); });
    return keys;
  }

  function open(token) {
    if (token.length > 1000 || token.indexOf("HC1:") !== 0) throw new Malformed();
    var raw = b45decode(token.slice(4));
    if (raw.length > 600) throw new Malformed();
    var sign1 = cbor(raw, true);
    if (!sign1 || sign1.tag !== 18 || !Array.isArray(sign1.value) || sign1.value.length !== 4) throw new Malformed();
    var parts = sign1.value;
    if (!(parts[0] instanceof Uint8Array) || !(parts[1] instanceof Map) || parts[1].size !== 0 ||
        !(parts[2] instanceof Uint8Array) || !(parts[3] instanceof Uint8Array) || parts[3].length !== 64) {
      throw new Malformed();
    }
    var header = cbor(parts[0], false);
    if (!(header instanceof Map) || header.get(1) !== -7 || header.has(2)) throw new Malformed();
    var kid = header.get(4);
    if (!(kid instanceof Uint8Array) || kid.length !== 8) throw new Malformed();
    return { kid: hex(kid), protectedBytes: parts[0], payload: parts[2], signature: parts[3] };
  }

  function claimsOf(payload) {
    var cwt = cbor(payload, false);
    if (!(cwt instanceof Map)) throw new Malformed();
    var code = cwt.get(-260);
    if (!(code instanceof Map)) throw new Malformed();
    var claims = {
      issuer: cwt.get(1), expiresAt: cwt.get(4), issuedAt: cwt.get(6),
      colour: { g: "green", y: "yellow", r: "red" }[code.get(1)],
      name: code.get(2), document: code.get(3), kind: code.get(4), tokenId: code.get(5)
    };
    if (typeof claims.issuer !== "string" || !isInt(claims.expiresAt) || !isInt(claims.issuedAt) ||
        claims.expiresAt < claims.issuedAt || !claims.colour || typeof claims.name !== "string" ||
        typeof claims.document !== "string" || (claims.kind !== 0 && claims.kind !== 1) ||
        !(claims.tokenId instanceof Uint8Array) || claims.tokenId.length !== 8) {
      throw new Malformed();
    }
    claims.tokenId = hex(claims.tokenId);
    return claims;
  }

  function verifyWith(jwk, envelope) {
    return subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
      { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"])
      .then(function (key) {
        return subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, envelope.signature,
          sigStructure(envelope.protectedBytes, envelope.payload));
      })
      .catch(function () { return false; });
  }

  function verifyHere(token, data, now) {
    var envelope;
    try { envelope = open(token); } catch (error) { return Promise.resolve({ reason: "malformed" }); }
    var candidates = trustedKeys(data).filter(function (jwk) {
      try { return hex(unb64url(jwk.kid)) === envelope.kid; } catch (error) { return false; }
    });
    if (!candidates.length) return Promise.resolve({ reason: "unknown_issuer" });
    return Promise.all(candidates.map(function (jwk) { return verifyWith(jwk, envelope); })).then(function (ok) {
      var signers = candidates.filter(function (jwk, i) { return ok[i]; });
      if (!signers.length) return { reason: "bad_signature" };
      var claims;
      try { claims = claimsOf(envelope.payload); } catch (error) { return { reason: "malformed" }; }
      var vouched = signers.some(function (jwk) {
        return jwk.iss === claims.issuer && (jwk.nbf == null || claims.issuedAt >= jwk.nbf) &&
          (jwk.exp == null || claims.issuedAt <= jwk.exp);
      });
      if (!vouched) return { reason: "unknown_issuer" };
      var revoked = data.revocations && data.revocations.issuer === claims.issuer &&
        data.revocations.revoked.indexOf(claims.tokenId) >= 0;
      var reason = claims.expiresAt < now - LEEWAY ? "expired"
        : claims.issuedAt > now + LEEWAY ? "not_yet_valid" : revoked ? "revoked" : "ok";
      return { reason: reason, claims: claims };
    });
  }

  // --- the offline verdict screen ------------------------------------------------------------
  var screen = document.getElementById("offline-result");
  var decisionForm = document.getElementById("offline-decision");
  var temperatureInput = document.getElementById("offline-temperature");
  var temperatureError = document.getElementById("offline-temperature-error");
  var current = null;

  function fill(id, text) {
    var node = document.getElementById(id);
    if (node) { node.textContent = text || ""; node.hidden = !text; }
  }

  function show(result, data, scan) {
    var claims = result.claims;
    var acceptable = result.reason === "ok";
    screen.className = "checkpoint-result " + (acceptable ? "colour-" + claims.colour : "unacceptable");
    screen.dataset.reason = result.reason;
    screen.dataset.colour = claims ? claims.colour : "";
    fill("offline-verdict", acceptable ? config.colours[claims.colour] : texts.not_acceptable);
    fill("offline-reason", config.reasons[result.reason] || config.reasons.malformed);
    fill("offline-name", claims && claims.name);
    fill("offline-doc-label", claims && config.docLabel);
    fill("offline-last-four", claims && claims.document.slice(-4));
    fill("offline-document", claims && claims.document);
    fill("offline-claimed", !acceptable && claims ? say(texts.claims, { colour: config.colours[claims.colour] }) : "");
    fill("offline-source", say(texts.checked_here, { time: clock(data.fetchedAt) }));
    temperatureInput.value = "";
    temperatureError.hidden = true;
    temperatureInput.removeAttribute("aria-invalid");
    current = scan;
    screen.hidden = false;
    screen.focus();
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

  function checkHere(token) {
    var data = read(STORE, null);
    online = false;
    showStatus();
    if (!data || !subtle) { input.focus(); return; }
    var now = Math.floor(Date.now() / 1000);
    verifyHere(token, data, now).then(function (result) {
      var scan = { ref: newRef(), token: token, scannedAt: now, done: false };
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
    fill("notice-offline", texts.saved);
    showStatus();
    input.focus();
  }

  if (screen && decisionForm) {
    decisionForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var typed = temperatureInput.value.trim().replace(",", ".").replace("℃", "").replace("°C", "").trim();
      var value = parseFloat(typed);
      if (typed && !(value >= parseFloat(config.temperature.low) && value <= parseFloat(config.temperature.high))) {
        temperatureError.textContent = say(texts.temperature_invalid, config.temperature);
        temperatureError.hidden = false;
        temperatureInput.setAttribute("aria-invalid", "true");
        temperatureInput.focus();
        return;
      }
      if (current) {
        current.temperature = typed;
        current.decision = event.submitter ? event.submitter.value : "allow";
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
    var waited = new AbortController();
    var timer = setTimeout(function () { waited.abort(); }, SERVER_WAIT_MS);
    fetch(form.action, {
      method: "POST", credentials: "same-origin", signal: waited.signal,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)).toString()
    }).then(function (response) {
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
      checkHere(token);
    });
  });

  // The desk itself opens without network once a service worker has kept it (checkpoint-sw.js).
  if (navigator.serviceWorker && config.urls.worker) {
    navigator.serviceWorker.register(config.urls.worker, { scope: config.urls.desk }).catch(function () {});
  }

  window.addEventListener("online", refresh);
  window.addEventListener("offline", function () { online = false; showStatus(); });
  showStatus();
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
