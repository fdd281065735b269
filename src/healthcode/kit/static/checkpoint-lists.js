// The lists a checkpoint desk decides with (SPEC §8): the trust list and the revocation list, kept on
// the device and taken only when they verify against the key pinned when the desk was set up.
//
// Setting up: the first desk page after signing in on a device carries this issuer and its public
// keys; the device pins them ("hc.checkpoint.pin") and later pages cannot change them (signing in
// again sets the desk up again: staff-login.js forgets the pin). A trust list is taken only when it
// is this issuer's, publishes only this issuer's keys, is no older than the one kept, and is signed
// (ES256 over its canonical JSON without "signature", as codes/trust.py signs it) by a pinned key
// whose window covers the list's issued_at; its keys are then the pin (key continuity: a rotation
// prepared ahead, `healthcode keys prepare`, reaches the desk before the new key signs). A revocation
// list must be signed so by a key of the trust list taken. A list that fails is not taken: the
// previous one stays, and the page says so. See docs/adr/0019.
//
// HealthCodeDeskLists.setUp(pin); .held() -> {trust, revocations, fetchedAt} or null;
// .refresh(urls, waitMs) -> Promise of {refused: ["trust"|"revocations", ...]}, rejected without
// network.
(function () {
  "use strict";
  var STORE = "hc.checkpoint.data";
  var PIN = "hc.checkpoint.pin";
  var token = window.HealthCodeToken;
  var encoder = window.TextEncoder ? new TextEncoder() : null;

  function read(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (error) { return null; }
  }
  function write(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (error) { /* storage full or blocked */ }
  }

  // The lists are parsed once per change of what is stored (another tab, a test) and kept parsed.
  var heldRaw = null, heldData = null;
  function held() {
    var raw;
    try { raw = localStorage.getItem(STORE); } catch (error) { raw = null; }
    if (raw !== heldRaw) {
      heldRaw = raw;
      try { heldData = JSON.parse(raw); } catch (error) { heldData = null; }
    }
    return heldData;
  }

  function setUp(pin) {
    if (pin && !read(PIN)) write(PIN, pin);
  }

  // RFC 8785 for what the lists hold (objects, arrays, strings, integers, booleans, null): JSON's
  // own string escapes, keys sorted, no whitespace. Fractions are refused, as the server refuses them.
  function canonical(value) {
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (value !== null && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (key) {
        return JSON.stringify(key) + ":" + canonical(value[key]);
      }).join(",") + "}";
    }
    if (typeof value === "number" && !Number.isInteger(value)) throw new Error("a fraction");
    return JSON.stringify(value);
  }

  function isEpoch(value) { return Number.isInteger(value) && value >= 0; }

  // Whether one of `keys` (JWKs of `issuer`, valid at the document's issued_at) signed `doc`.
  function signedBy(doc, keys, issuer) {
    var signature = doc && doc.signature;
    if (!signature || signature.alg !== "ES256" || !isEpoch(doc.issued_at) || doc.issuer !== issuer) {
      return Promise.resolve(false);
    }
    var content = {};
    Object.keys(doc).forEach(function (name) { if (name !== "signature") content[name] = doc[name]; });
    var bytes, value;
    try {
      bytes = encoder.encode(canonical(content));
      value = token.unb64url(signature.value);
    } catch (error) { return Promise.resolve(false); }
    var candidates = (keys || []).filter(function (jwk) {
      return jwk.kid === signature.kid && jwk.iss === issuer &&
        (jwk.nbf == null || doc.issued_at >= jwk.nbf) && (jwk.exp == null || doc.issued_at <= jwk.exp);
    });
    if (value.length !== 64 || !candidates.length) return Promise.resolve(false);
    return Promise.all(candidates.map(function (jwk) { return token.verifyEs256(jwk, value, bytes); }))
      .then(function (results) { return results.indexOf(true) >= 0; });
  }

  function trustListTaken(doc, pin, kept) {
    var ownKeys = doc && Array.isArray(doc.keys) && doc.keys.every(function (jwk) { return jwk && jwk.iss === pin.issuer; });
    var newer = doc && (!kept || doc.issued_at >= kept.issued_at);
    if (!ownKeys || !newer || !Array.isArray(doc.trusted || [])) return Promise.resolve(false);
    return signedBy(doc, pin.keys, pin.issuer);
  }

  function revocationsTaken(doc, trust, pin, kept) {
    var shaped = doc && Array.isArray(doc.revoked) && doc.revoked.every(function (id) {
      return typeof id === "string" && /^[0-9a-f]{16}$/.test(id);
    });
    if (!shaped || !trust || (kept && doc.issued_at < kept.issued_at)) return Promise.resolve(false);
    return signedBy(doc, trust.keys, pin.issuer);
  }

  function fetchJson(url, waitMs) {
    var waited = new AbortController();
    var timer = setTimeout(function () { waited.abort(); }, waitMs);
    return fetch(url, { cache: "no-cache", credentials: "same-origin", signal: waited.signal })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (json) { clearTimeout(timer); return json; }, function (error) { clearTimeout(timer); throw error; });
  }

  function refresh(urls, waitMs) {
    return Promise.all([fetchJson(urls.trust, waitMs), fetchJson(urls.revocations, waitMs)]).then(function (got) {
      var pin = read(PIN);
      var kept = held();
      if (!pin || !encoder) return { refused: ["trust", "revocations"] };
      return trustListTaken(got[0], pin, kept && kept.trust).then(function (trustOk) {
        var trust = trustOk ? got[0] : kept && kept.trust;
        return revocationsTaken(got[1], trust, pin, kept && kept.revocations).then(function (revocationsOk) {
          var refused = [];
          if (!trustOk) refused.push("trust");
          if (!revocationsOk) refused.push("revocations");
          if (trustOk) write(PIN, { issuer: pin.issuer, keys: got[0].keys });
          if (!refused.length) write(STORE, { trust: got[0], revocations: got[1], fetchedAt: Date.now() });
          else if (kept && trustOk !== revocationsOk) {
            // one list taken, the other kept: the data's age stays that of the older list
            write(STORE, { trust: trust, revocations: revocationsOk ? got[1] : kept.revocations, fetchedAt: kept.fetchedAt });
          }
          return { refused: refused };
        });
      });
    });
  }

  window.HealthCodeDeskLists = { setUp: setUp, held: held, refresh: refresh, available: !!(token && token.available && encoder) };
})();
