// Counts down until the next code can be requested; the page works without it.
(function () {
  var button = document.getElementById("send-code");
  var wait = button ? parseInt(button.getAttribute("data-wait"), 10) || 0 : 0;
  var note = document.querySelector(".wait");
  if (!button || wait <= 0) return;
  var label = button.textContent;
  button.disabled = true;
  var until = Date.now() + wait * 1000;
  function tick() {
    var left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      if (note) note.hidden = true;
      return;
    }
    button.textContent = label + " (" + left + ")";
    setTimeout(tick, 1000);
  }
  tick();
})();
