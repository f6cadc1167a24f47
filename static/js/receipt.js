// Receipt page: offer a print button when JavaScript is available.
(function () {
  "use strict";
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll(".js-print-fallback").forEach(function (el) { el.hidden = true; });
})();
