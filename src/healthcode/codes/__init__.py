"""Codes: signing keys, the trust list, verifying code tokens (DESIGN.md "The code token", SPEC §7-§9, §11).

- :mod:`.keys`: :class:`~.keys.KeyService`, this issuer's signing keys (generate, rotate, retire)
  and the keys a verifier trusts;
- :mod:`.trust`: the signed trust list and other issuers' lists this deployment trusts;
- :mod:`.revocations`: revoked token ids;
- :mod:`.verification`: the in-memory :class:`~.verification.Verifier` behind ``POST /api/v1/verifications``;
- :mod:`.ratelimit`: the per-client limit of that endpoint;
- :mod:`.api`: the routes. See docs/adr/0010-code-keys-and-verification.md.
"""
