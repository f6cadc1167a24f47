/* The redaction tool: drag (mouse, pen or finger) across the screenshot to mark an area to
   black out. Each area fills the first empty row of the form's x/y/width/height fields (the
   keyboard way in, and what is posted), in the picture's own pixels; typing in the fields
   redraws the marks. No inline script or style: the page's CSP allows neither. */
(function () {
  "use strict";
  var stage = document.querySelector(".redact-stage");
  if (!stage) return;
  var image = stage.querySelector(".redact-image");
  var canvas = stage.querySelector(".redact-canvas");
  var form = stage.closest("form");
  var tbody = form.querySelector(".redact-table tbody");
  var total = form.querySelector("input[name$='-TOTAL_FORMS']");
  var maxForms = form.querySelector("input[name$='-MAX_NUM_FORMS']");
  var natural = { w: +stage.dataset.width || 0, h: +stage.dataset.height || 0 };
  var dragging = null;
  var FIELDS = ["x", "y", "w", "h"];

  function rows() { return Array.prototype.slice.call(tbody.querySelectorAll(".redact-row")); }
  function field(row, key) { return row.querySelector("input[name$='-" + key + "']"); }
  function values(row) {
    return FIELDS.map(function (k) { var v = field(row, k).value.trim(); return v === "" ? null : Number(v); });
  }
  function isEmpty(row) { return values(row).every(function (v) { return v === null; }); }

  function scale() {
    var shown = image.clientWidth || 1;
    return (natural.w || image.naturalWidth || shown) / shown;
  }

  function resize() {
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(image.clientWidth * ratio);
    canvas.height = Math.round(image.clientHeight * ratio);
    draw();
  }

  function draw() {
    var ctx = canvas.getContext("2d");
    var ratio = window.devicePixelRatio || 1;
    var s = scale();
    ctx.setTransform(ratio / s, 0, 0, ratio / s, 0, 0);  // draw in the picture's pixels
    ctx.clearRect(0, 0, natural.w || canvas.width, natural.h || canvas.height);
    ctx.fillStyle = "#000";
    rows().forEach(function (row) {
      var v = values(row);
      var button = row.querySelector(".js-clear");
      if (button) button.hidden = isEmpty(row);
      if (v.some(function (n) { return n === null || isNaN(n); })) return;
      ctx.fillRect(v[0], v[1], v[2], v[3]);
    });
    if (dragging && dragging.now) {
      var r = box(dragging.start, dragging.now);
      ctx.fillStyle = "rgba(0, 0, 0, 0.6)";
      ctx.fillRect(r.x, r.y, r.w, r.h);
      ctx.strokeStyle = "#d00";
      ctx.lineWidth = 2 * s;
      ctx.strokeRect(r.x, r.y, r.w, r.h);
    }
  }

  function point(event) {
    var rect = canvas.getBoundingClientRect();
    var s = scale();
    var x = Math.round((event.clientX - rect.left) * s);
    var y = Math.round((event.clientY - rect.top) * s);
    return { x: Math.max(0, Math.min(natural.w, x)), y: Math.max(0, Math.min(natural.h, y)) };
  }

  function box(a, b) {
    var x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
    return { x: x, y: y, w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) };
  }

  function addRow() {
    var all = rows();
    var count = Number(total.value);
    if (maxForms && count >= Number(maxForms.value)) return null;
    var copy = all[all.length - 1].cloneNode(true);
    copy.innerHTML = copy.innerHTML.replace(/area-(\d+)-/g, "area-" + count + "-");
    copy.querySelector("th").textContent = String(count + 1);
    copy.querySelectorAll("label.visually-hidden").forEach(function (label) {
      label.textContent = label.textContent.replace(/^Area \d+/, "Area " + (count + 1));
    });
    copy.querySelectorAll("input").forEach(function (input) { input.removeAttribute("value"); input.value = ""; });
    var clear = copy.querySelector(".js-clear");
    if (clear) clear.textContent = "Clear area " + (count + 1);
    tbody.appendChild(copy);
    total.value = String(count + 1);
    return copy;
  }

  function place(r) {
    var row = rows().filter(isEmpty)[0] || addRow();
    if (!row) return;
    field(row, "x").value = r.x;
    field(row, "y").value = r.y;
    field(row, "w").value = r.w;
    field(row, "h").value = r.h;
    var live = document.querySelector(".js-redact-live");
    if (live) {
      live.textContent = "Area " + (rows().indexOf(row) + 1) + " marked: " + r.w + " by " + r.h +
        " pixels, " + r.x + " from the left and " + r.y + " from the top.";
    }
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    dragging = { start: point(event), now: null };
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!dragging) return;
    dragging.now = point(event);
    draw();
  });
  function finish(event) {
    if (!dragging) return;
    var r = box(dragging.start, point(event));
    dragging = null;
    if (r.w >= 1 && r.h >= 1) place(r);
    draw();
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", function () { dragging = null; draw(); });

  form.addEventListener("input", draw);
  tbody.addEventListener("click", function (event) {
    var button = event.target.closest(".js-clear");
    if (!button) return;
    var row = button.closest(".redact-row");
    FIELDS.forEach(function (k) { field(row, k).value = ""; });
    draw();
    field(row, "x").focus();
  });
  var adder = form.querySelector(".js-add-row");
  if (adder) {
    adder.hidden = false;
    adder.addEventListener("click", function () { var row = addRow(); if (row) field(row, "x").focus(); });
  }
  var help = document.querySelector(".js-redact-help");
  if (help) help.hidden = false;

  if (image.complete) resize(); else image.addEventListener("load", resize);
  window.addEventListener("resize", resize);
})();
