// Pictures still being prepared (incidents.evidence: a worker makes each screenshot's clean
// copy after the upload). Ask every few seconds whether each is ready and put it in place, so
// staff need not reload the page. Stops after two minutes: each question counts as activity
// for the session's idle clock, and a picture that takes longer is found on the next visit.
(function () {
  "use strict";
  var SELECTOR = "[data-evidence-status=processing][data-status-url]";
  var EVERY = 3000;
  var TRIES = 40;
  if (!document.querySelector(SELECTOR)) {
    return;
  }
  function show(box) {
    var link = document.createElement("a");
    link.href = box.getAttribute("data-src");
    var picture = document.createElement("img");
    picture.src = box.getAttribute("data-src");
    picture.alt = box.getAttribute("data-alt") || "";
    picture.className = "evidence-thumb";
    link.appendChild(picture);
    box.replaceWith(link);
  }
  function failed(box) {
    box.setAttribute("data-evidence-status", "failed");
    box.classList.add("evidence-failed");
    box.textContent = "Picture could not be prepared. Reload the page to see why and to try again.";
  }
  var tries = 0;
  function check() {
    tries += 1;
    var waiting = document.querySelectorAll(SELECTOR);
    if (!waiting.length || tries > TRIES) {
      return;
    }
    waiting.forEach(function (box) {
      fetch(box.getAttribute("data-status-url"), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (answer && answer.status === "ready") {
            show(box);
          } else if (answer && answer.status === "failed") {
            failed(box);
          }
        })
        .catch(function () {});
    });
    window.setTimeout(check, EVERY);
  }
  window.setTimeout(check, EVERY);
})();
