// The checkpoint desk's service worker (SPEC §8): the desk page and its scripts open without a
// network, so a desk reloaded or reopened offline still checks codes (checkpoint-desk.js).
// Network first, always: the cache only answers when the network does not. Nothing else is kept.
"use strict";
var CACHE = "hc-checkpoint-v4";
var DESK = "/staff/checkpoint";
// The desk's files under their digest names, set by the server in front of this script.
var ASSETS = self.DESK_ASSETS || [];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS.concat([new Request(DESK, { credentials: "same-origin" })]));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== CACHE; }).map(function (name) {
      return caches.delete(name);
    }));
  }).then(function () { return self.clients.claim(); }));
});

function kept(request) {
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return null;
  if (request.mode === "navigate" && url.pathname === DESK) return DESK;
  return ASSETS.indexOf(url.pathname) >= 0 ? url.pathname : null;
}

self.addEventListener("fetch", function (event) {
  var key = kept(event.request);
  if (!key) return;
  event.respondWith(fetch(event.request).then(function (response) {
    // keep the desk only as the desk (not a sign-in page it was redirected to)
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(key).then(function (found) { return found || Response.error(); });
  }));
});
