// While a governors' report is being made, fetch this page again every few seconds and show
// its list of filed reports (a polite live region), until none is in progress. Without
// JavaScript the page says to reload it.
(function () {
  "use strict";
  var section = document.getElementById("filed-reports");
  if (!section || !section.dataset.refresh) {
    return;
  }
  var url = section.dataset.refresh;
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("filed-reports");
        if (!fresh) { return; }
        section.innerHTML = fresh.innerHTML;
        if (fresh.dataset.refresh && tries < 100) {
          window.setTimeout(poll, 3000);
        } else {
          delete section.dataset.refresh;
        }
      })
      .catch(function () { /* the link to reload is still there */ });
  }
  window.setTimeout(poll, 2000);
})();
