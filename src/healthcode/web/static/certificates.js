// The clerk's desk (SPEC §9): issuing or reprinting answers with the PDF. Fetch it, hand it to the
// browser as a download, then reload the desk so that the list shows the new certificate. Without
// this script the forms still work (the PDF downloads; the list updates on the next visit).
(function () {
  "use strict";
  if (!window.fetch || !window.URL || !URL.createObjectURL) return;
  Array.prototype.forEach.call(document.querySelectorAll("form[data-download]"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(form)).toString()
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/pdf") !== 0) { form.submit(); return null; }
        var named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
        return response.blob().then(function (pdf) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(pdf);
          link.download = named ? named[1] : "certificate.pdf";
          document.body.appendChild(link);
          link.click();
          setTimeout(function () { location.reload(); }, 300);
        });
      }).catch(function () { form.submit(); });
    });
  });
})();
