// Reloads the page after data-seconds while something is in progress (an application being
// checked, a list being imported). A script rather than <meta refresh>, so the page states
// plainly that it updates and readers can stop it (the page offers a link without the script).
(function () {
  var script = document.currentScript;
  var seconds = script ? parseInt(script.getAttribute("data-seconds"), 10) : 0;
  if (seconds > 0 && window.location.search.indexOf("refresh=off") < 0) {
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
