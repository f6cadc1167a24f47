// Receipt page: offer a print button when JavaScript is available.
(function () {
  "use strict";
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll(".js-print-fallback").forEach(function (el) { el.hidden = true; });
  // Back to this page from the back/forward cache: blank the code and ask the server again,
  // which never shows it twice.
  window.addEventListener("pageshow", function (event) {
    var code = document.getElementById("receipt-code");
    if (event.persisted && code) {
      code.textContent = "";
      window.location.reload();
    }
  });
})();
