// The staff sign-in page means nobody is signed in on this device: what the checkpoint desk kept
// for offline use goes (its page with the latest scans, the cached key and revocation lists, and the
// key pinned when the desk was set up: the next desk page sets it up again). Scans not yet sent
// stay: they go when the account that made them signs in again (ADR 11, 17).
(function () {
  "use strict";
  try {
    localStorage.removeItem("hc.checkpoint.data");
    localStorage.removeItem("hc.checkpoint.pin");
  } catch (error) { /* storage blocked */ }
  if (!window.caches) return;
  caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("hc-checkpoint") === 0; })
      .map(function (name) { return caches.delete(name); }));
  }).catch(function () {});
})();
