// The checkpoint desk (SPEC §8): keep the scan input focused for keyboard-wedge scanners, and
// scan with the camera (jsQR, loaded only when the camera is started) into the same input.
(function () {
  "use strict";
  var input = document.getElementById("token");
  var form = document.getElementById("scan-form");
  if (!input || !form) return;

  // A wedge scanner types into whatever has focus: bring focus back to the input whenever it
  // falls to nothing (after a click on the page background, or when the page comes back).
  function refocus() {
    var active = document.activeElement;
    if (!active || active === document.body || active === document.documentElement) input.focus();
  }
  input.focus();
  document.addEventListener("click", function () { setTimeout(refocus, 0); });
  input.addEventListener("blur", function () { setTimeout(refocus, 0); });
  window.addEventListener("focus", refocus);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refocus(); });
  form.addEventListener("submit", function (event) {
    if (!input.value.trim()) { event.preventDefault(); input.focus(); }
  });

  var start = document.getElementById("camera-start");
  var box = document.getElementById("camera");
  var video = document.getElementById("camera-video");
  var status = document.getElementById("camera-status");
  var stop = document.getElementById("camera-stop");
  if (!start || !box || !video || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  start.hidden = false;
  var stream = null;
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });

  function loadDecoder() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) return resolve(window.jsQR);
      var script = document.createElement("script");
      script.src = "/static/vendor/jsqr-1.4.0.min.js";
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function halt() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    box.hidden = true;
    input.focus();
  }

  function tick(decode) {
    if (!stream) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA && video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = decode(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && found.data.indexOf("HC1:") === 0) {
        input.value = found.data;
        halt();
        form.requestSubmit ? form.requestSubmit() : form.submit();
        return;
      }
    }
    requestAnimationFrame(function () { tick(decode); });
  }

  start.addEventListener("click", function () {
    box.hidden = false;
    status.textContent = "…";
    loadDecoder()
      .then(function (decode) {
        return navigator.mediaDevices
          .getUserMedia({ video: { facingMode: "environment" }, audio: false })
          .then(function (media) {
            stream = media;
            video.srcObject = media;
            return video.play().then(function () { status.textContent = ""; tick(decode); });
          });
      })
      .catch(function (error) {
        status.textContent = String((error && error.name) || error);
        halt();
        box.hidden = false;
      });
  });
  stop.addEventListener("click", halt);
})();
