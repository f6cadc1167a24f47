/* While a case file is being made, fetch its small status block every two seconds and put
   it in place, until it is ready or has failed (the block then stops asking to be polled). */
(function () {
  "use strict";
  function poll(block) {
    var url = block.getAttribute("data-poll");
    if (!url) return;
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.firstElementChild;
          if (!fresh) return;
          block.replaceWith(fresh);
          hideHints(fresh);
          poll(fresh);
        })
        .catch(function () { poll(block); });
    }, 2000);
  }
  function hideHints(root) {
    root.querySelectorAll(".js-hide-when-polling").forEach(function (p) { p.hidden = true; });
  }
  document.querySelectorAll("[data-poll]").forEach(function (block) { hideHints(block); poll(block); });
})();
