// Photographing a document with the desk's camera (walk-ins at a designated institution). Each
// file input marked data-camera gets a "Use the camera" button: the camera's picture is shown, and
// "Take the photo" puts a JPEG of it into the input, as if the file had been chosen, so the form
// posts it like any other photo. Without a camera (or this script) the inputs take files as usual.
(function () {
  "use strict";
  var form = document.querySelector("form[data-camera-start]");
  if (!form || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.DataTransfer) return;
  var texts = form.dataset;

  function button(label, className) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = label;
    return b;
  }

  Array.prototype.forEach.call(form.querySelectorAll("input[type=file][data-camera]"), function (input) {
    var start = button(texts.cameraStart, "secondary camera-start");
    var note = document.createElement("p");
    note.className = "small camera-note";
    note.setAttribute("role", "status");
    var preview = document.createElement("img");
    preview.className = "camera-preview";
    preview.alt = "";
    preview.hidden = true;
    input.after(start, note, preview);
    var stream = null, box = null;

    function stop() {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      if (box) box.remove();
      box = null;
      start.hidden = false;
    }

    start.addEventListener("click", function () {
      note.textContent = "";
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1920 } } })
        .then(function (opened) {
          stream = opened;
          box = document.createElement("div");
          box.className = "camera";
          var video = document.createElement("video");
          video.muted = true;
          video.playsInline = true;
          video.srcObject = stream;
          video.setAttribute("aria-label", texts.cameraStart);
          var take = button(texts.cameraTake, "primary camera-take");
          var cancel = button(texts.cameraCancel, "secondary");
          box.append(video, take, cancel);
          preview.before(box);
          start.hidden = true;
          video.play();
          take.focus();
          cancel.addEventListener("click", function () { stop(); start.focus(); });
          take.addEventListener("click", function () {
            var canvas = document.createElement("canvas");
            canvas.width = video.videoWidth;
            canvas.height = video.videoHeight;
            canvas.getContext("2d").drawImage(video, 0, 0);
            canvas.toBlob(function (blob) {
              var files = new DataTransfer();
              files.items.add(new File([blob], input.name + ".jpg", { type: "image/jpeg" }));
              input.files = files.files;
              if (preview.src) URL.revokeObjectURL(preview.src);
              preview.src = URL.createObjectURL(blob);
              preview.hidden = false;
              note.textContent = texts.cameraTaken;
              stop();
              start.focus();
            }, "image/jpeg", 0.92);
          });
        })
        .catch(function () { note.textContent = texts.cameraFailed; stop(); });
    });
  });
})();
