// Picking chat messages: filter the messages on this page as the parent types (the Search
// button still searches the whole chat on the server, and everything works without this).
(function () {
  "use strict";
  var input = document.querySelector("[data-chat-filter]");
  var list = document.querySelector("[data-chat-list]");
  if (!input || !list) { return; }
  var items = Array.prototype.slice.call(list.querySelectorAll(".chat-pick-item"));
  var none = document.querySelector(".js-no-match");
  var normal = function (text) { return (text || "").toLowerCase().replace(/\s+/g, " "); };
  var texts = items.map(function (item) { return normal(item.textContent); });
  input.addEventListener("input", function () {
    var needle = normal(input.value).trim();
    var shown = 0;
    items.forEach(function (item, i) {
      // Ticked messages stay visible, so nothing ticked is hidden from the parent.
      var box = item.querySelector("input[type=checkbox]");
      var match = !needle || texts[i].indexOf(needle) !== -1 || (box && box.checked);
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    if (none) { none.hidden = shown !== 0; }
  });
})();
