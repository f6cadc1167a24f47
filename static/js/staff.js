// Staff pages on a phone: every table stacks its rows into cards below 768 px, each cell
// labelled with its column's heading (CSS in site.css). The roles keep the table's meaning
// for screen readers once CSS has turned its rows into blocks.
(function () {
  "use strict";
  document.querySelectorAll("main table.table").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.classList.add("table-stack");
    table.setAttribute("role", "table");
    table.querySelectorAll("thead, tbody, tfoot").forEach(function (group) {
      group.setAttribute("role", "rowgroup");
    });
    table.querySelectorAll("tr").forEach(function (row) {
      row.setAttribute("role", "row");
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (cell.tagName === "TH") {
          cell.setAttribute("role", cell.closest("thead") ? "columnheader" : "rowheader");
        } else {
          cell.setAttribute("role", "cell");
        }
        if (heads[i] && !cell.hasAttribute("data-label") && !cell.closest("thead")) {
          cell.setAttribute("data-label", heads[i]);
        }
      });
    });
  });
})();

// The staff menu folds behind its "Menu" button below 1200 px (Bootstrap's CSS hides a
// `.collapse` without `.show`); this opens and closes it, so no framework JavaScript is needed.
(function () {
  "use strict";
  document.querySelectorAll(".navbar-toggler[aria-controls]").forEach(function (button) {
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) {
      return;
    }
    button.addEventListener("click", function () {
      var open = menu.classList.toggle("show");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
})();
