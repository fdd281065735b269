// Keeps a waiting page up to date in place (an application being checked): every data-seconds it
// asks data-watch-url (JSON) how things stand, and when that changes it fetches the page again and
// puts the new content in place of the old, then moves focus to the updated status, so a screen
// reader reads the change once. It never reloads the page, and a button stops it.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.DOMParser) return;
  var url = script.getAttribute("data-watch-url");
  var seconds = parseInt(script.getAttribute("data-seconds"), 10) || 15;
  var last = null, timer = null, stopped = false;

  function signature(body) {
    var application = body.application || {};
    return JSON.stringify([body.status, application.state, application.queue_position]);
  }

  function schedule() { timer = setTimeout(poll, seconds * 1000); }

  function swap() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { if (!response.ok) throw new Error("HTTP " + response.status); return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var main = document.querySelector("main"), next = fresh.querySelector("main");
        if (!main || !next) return;
        main.innerHTML = next.innerHTML;
        document.title = fresh.title;
        var status = document.getElementById("state");
        if (status) { status.setAttribute("tabindex", "-1"); status.focus(); }
        offerStop();
      });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error("HTTP " + response.status); return response.json(); })
      .then(function (body) {
        var now = signature(body);
        var changed = last !== null && now !== last;
        last = now;
        return changed ? swap() : null;
      })
      .catch(function () { /* a weak network: try again at the next turn */ })
      .then(function () { if (!stopped && document.getElementById("watching")) schedule(); });
  }

  function offerStop() {
    var note = document.getElementById("watching");
    var stop = document.getElementById("stop-watching");
    if (!note || !stop) return;
    note.hidden = false;
    stop.addEventListener("click", function () {
      stopped = true;
      clearTimeout(timer);
      note.textContent = note.getAttribute("data-stopped");
    });
  }

  offerStop();
  poll();
})();
