// Verifying a code token in the browser (SPEC §8, offline checkpoints): the checks of
// healthcode.domain.tokens.verifying and .format, in the same order: size and prefix, strict Base45
// and CBOR, the envelope, the kid, the ES256 signature with WebCrypto over the COSE Sig_structure
// (before the claims are read), the claims (the rules of claims_problem), the key's issuer and
// window, then expired / not yet valid (30 s leeway) / revoked. Unknown claim keys are skipped.
//
// HealthCodeToken.verify(token, data, now) -> Promise of {reason, claims}; data is
// {trust: <trust list>, revocations: <revocation list>}; now is epoch seconds. Used by
// checkpoint-desk.js (checkpoint-lists.js checks the lists' signatures with verifyEs256), and by the tests that hold it to the Python verifier.
(function () {
  "use strict";
  var LEEWAY = 30;
  var subtle = window.crypto && window.crypto.subtle;

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
  var OPAQUE = { opaque: true };
  function intKeyed(map) {
    if (!(map instanceof Map)) throw new Malformed();
    map.forEach(function (value, key) { if (!isInt(key)) throw new Malformed(); });
    return map;
  }
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
      return value; // above 2^53 only approximate: no length can be that long, no time that late
    }
    function item(depth) {
      if (depth > 4) throw new Malformed();
      var head = take(1)[0], major = head >> 5, info = head & 31, n, i, value;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        // floats and other simple values: no claim we read is one, but a later version may add one
        var skip = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
        if (info < 20 || info === 23) return OPAQUE;
        if (!skip) throw new Malformed();
        take(skip);
        return OPAQUE;
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
            if ((typeof key !== "number" && typeof key !== "string") || value.has(key)) throw new Malformed();
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
    if (!(parts[0] instanceof Uint8Array) || intKeyed(parts[1]).size !== 0 ||
        !(parts[2] instanceof Uint8Array) || !(parts[3] instanceof Uint8Array) || parts[3].length !== 64) {
      throw new Malformed();
    }
    var header = intKeyed(cbor(parts[0], false));
    if (header.get(1) !== -7 || header.has(2)) throw new Malformed();
    var kid = header.get(4);
    if (!(kid instanceof Uint8Array) || kid.length !== 8) throw new Malformed();
    return { kid: hex(kid), protectedBytes: parts[0], payload: parts[2], signature: parts[3] };
  }

  // The rules of claims_problem in domain/tokens/format.py.
  var ISSUER = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$/;
  var MAX_EPOCH = 253402300799;
  function printable(text, limit) {
    var length = typeof text === "string" ? Array.from(text).length : 0;
    return length > 0 && length <= limit && !/[\p{C}\p{Z}]/u.test(text.replace(/ /g, ""));
  }
  function epoch(value) { return isInt(value) && value >= 0 && value <= MAX_EPOCH; }

  function claimsOf(payload) {
    var cwt = intKeyed(cbor(payload, false));
    var code = intKeyed(cwt.get(-260));
    var claims = {
      issuer: cwt.get(1), expiresAt: cwt.get(4), issuedAt: cwt.get(6),
      colour: { g: "green", y: "yellow", r: "red" }[code.get(1)],
      name: code.get(2), document: code.get(3), kind: code.get(4), tokenId: code.get(5)
    };
    var reference = code.get(6);
    if (typeof claims.issuer !== "string" || !ISSUER.test(claims.issuer) || !epoch(claims.expiresAt) ||
        !epoch(claims.issuedAt) || claims.expiresAt < claims.issuedAt || typeof code.get(1) !== "string" ||
        !claims.colour || !printable(claims.name, 64) || !printable(claims.document, 32) ||
        (claims.kind !== 0 && claims.kind !== 1) ||
        !(claims.tokenId instanceof Uint8Array) || claims.tokenId.length !== 8 ||
        (code.has(6) && !(reference instanceof Uint8Array && reference.length === 8))) {
      throw new Malformed();
    }
    claims.tokenId = hex(claims.tokenId);
    return claims;
  }

  // Low-S only (s <= n/2, as the server issues and accepts): (r, n - s) would verify too.
  var HALF_ORDER = "7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8";
  function highS(signature) {
    return signature.length !== 64 || hex(signature.subarray(32)) > HALF_ORDER;
  }

  // ES256: a raw r || s signature over bytes, by a P-256 public key given as a JWK; never throws.
  function verifyEs256(jwk, signature, bytes) {
    return subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
      { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"])
      .then(function (key) { return subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, bytes); })
      .catch(function () { return false; });
  }

  function verifyWith(jwk, envelope) {
    if (highS(envelope.signature)) return Promise.resolve(false);
    return verifyEs256(jwk, envelope.signature, sigStructure(envelope.protectedBytes, envelope.payload));
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

  window.HealthCodeToken = {
    verify: verifyHere, verifyEs256: verifyEs256, unb64url: unb64url, hex: hex, available: !!subtle
  };
})();
