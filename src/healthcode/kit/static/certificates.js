// The clerk's desk (SPEC §9): issuing or reprinting answers with the PDF. Fetch it, hand it to the
// browser as a download, then reload the desk so that the list shows the new certificate. Without
// this script the forms still work (the PDF downloads; the list updates on the next visit).
// Nothing is ever posted twice: an error page is shown as it is, and a lost answer says to check
// the list before printing again (the certificate may have been issued).
(function () {
  "use strict";
  if (!window.fetch || !window.URL || !URL.createObjectURL) return;
  var lost = document.getElementById("certificate-lost");

  function showPage(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    document.title = page.title;
    document.body.replaceWith(document.adoptNode(page.body));
  }

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
        if (!response.ok || type.indexOf("application/pdf") !== 0) return response.text().then(showPage);
        var named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
        return response.blob().then(function (pdf) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(pdf);
          link.download = named ? named[1] : "certificate.pdf";
          document.body.appendChild(link);
          link.click();
          setTimeout(function () { location.reload(); }, 300);
        });
      }).catch(function () {
        if (button) button.disabled = false;
        if (lost) { lost.hidden = false; lost.focus(); }
      });
    });
  });
})();
