// Staff pages: warn before the session ends, offer to stay signed in, and keep long forms'
// drafts in this browser tab so nothing typed is lost if the session does end.
//
// Drafts: every POST form with a text area is copied to sessionStorage as it is typed (never
// files or passwords; sessionStorage belongs to this tab and is gone when it closes). A sign-in
// page marks every draft "interrupted": the session ended (signing out drops all drafts).
// When a page with the draft's form loads, an interrupted draft is put back (with a note);
// any other draft of that form is dropped — it was submitted (the server has it, or shows it
// back with errors) or abandoned. A submitted draft of another page is dropped too.
(function () {
  "use strict";
  var PREFIX = "sc-draft:";
  var SKIP = { file: 1, password: 1, hidden: 1, submit: 1, button: 1, reset: 1, image: 1 };

  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function draftKey(form, index) {
    return PREFIX + window.location.pathname + "#" + (form.id || index);
  }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !SKIP[el.type] && el.name !== "csrfmiddlewaretoken";
    });
  }

  function snapshot(form) {
    var values = {};
    fieldsOf(form).forEach(function (el) {
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) {
        values[el.name] = values[el.name] || [];
        return;
      }
      var list = values[el.name] = values[el.name] || [];
      if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { list.push(o.value); });
      } else {
        list.push(el.value);
      }
    });
    return values;
  }

  function restore(form, values) {
    var seen = {};
    fieldsOf(form).forEach(function (el) {
      var list = values[el.name];
      if (!list) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = list.indexOf(el.value) !== -1;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) {
          o.selected = list.indexOf(o.value) !== -1;
        });
      } else {
        var i = seen[el.name] || 0;
        if (i < list.length) { el.value = list[i]; }
        seen[el.name] = i + 1;
      }
    });
  }

  function isDraftForm(form) {
    return (form.method || "").toLowerCase() === "post" && form.querySelector("textarea");
  }

  function showRestored(form) {
    var note = document.createElement("div");
    note.className = "alert alert-info draft-restored";
    note.setAttribute("role", "status");
    note.textContent = "We have put back what you typed on this page earlier (it was kept " +
      "in this browser tab). Check it, then submit again.";
    form.parentNode.insertBefore(note, form);
  }

  function setUpDrafts() {
    var s = store();
    if (!s) { return; }
    var isSignIn = !!document.querySelector("input[type=password]");
    var keys = [];
    for (var i = 0; i < s.length; i++) {
      if (s.key(i).indexOf(PREFIX) === 0) { keys.push(s.key(i)); }
    }
    var read = function (key) {
      try { return JSON.parse(s.getItem(key) || "{}"); } catch (e) { return {}; }
    };
    if (isSignIn) {
      keys.forEach(function (key) {
        var draft = read(key);
        draft.interrupted = true;
        s.setItem(key, JSON.stringify(draft));
      });
      return;
    }
    var here = PREFIX + window.location.pathname + "#";
    keys.forEach(function (key) {
      var draft = read(key);
      if (key.indexOf(here) !== 0 && draft.submitted && !draft.interrupted) { s.removeItem(key); }
    });
    Array.prototype.forEach.call(document.forms, function (form, index) {
      if (!isDraftForm(form)) { return; }
      var key = draftKey(form, index);
      var draft = read(key);
      s.removeItem(key);
      if (draft.interrupted && draft.values) {
        restore(form, draft.values);
        showRestored(form);
        s.setItem(key, JSON.stringify({ values: draft.values, submitted: false }));
      }
      var save = function (submitted) {
        try {
          s.setItem(key, JSON.stringify({ values: snapshot(form), submitted: submitted }));
        } catch (e) { /* storage full or refused: nothing more we can do */ }
      };
      form.addEventListener("input", function () { save(false); });
      form.addEventListener("change", function () { save(false); });
      form.addEventListener("submit", function () { save(true); });
    });
    document.querySelectorAll(".js-sign-out").forEach(function (form) {
      form.addEventListener("submit", function () {
        keys.concat(Object.keys(s)).forEach(function (key) {
          if (key.indexOf(PREFIX) === 0) { s.removeItem(key); }
        });
      });
    });
  }

  function setUpWarning() {
    var box = document.getElementById("session-warning");
    if (!box) { return; }
    var warnFor = parseInt(box.getAttribute("data-warn"), 10);
    var signIn = box.getAttribute("data-sign-in");
    var countdown = box.querySelector(".js-countdown");
    var keepAlive = box.querySelector("form");
    var endsAt = 0;
    var ticker = null;

    function format(seconds) {
      var m = Math.floor(seconds / 60);
      var sec = seconds % 60;
      return m + ":" + (sec < 10 ? "0" : "") + sec;
    }

    function tick() {
      var left = Math.round((endsAt - Date.now()) / 1000);
      if (left <= 0) {
        window.clearInterval(ticker);
        // The server has ended the session: go and sign in, then come back here, where the
        // draft is waiting.
        var back = window.location.pathname + window.location.search;
        window.location.assign(signIn + "?next=" + encodeURIComponent(back).replace(/%2F/g, "/"));
        return;
      }
      if (left <= warnFor) {
        if (box.hidden) {
          box.hidden = false;
          document.body.classList.add("session-warning-shown");
          if (keepAlive) { keepAlive.querySelector("button").focus(); }
        }
        countdown.textContent = format(left);
      }
    }

    function start(remaining) {
      // One second of slack, so the browser never gets there before the server does.
      endsAt = Date.now() + (remaining + 1) * 1000;
      box.hidden = true;
      document.body.classList.remove("session-warning-shown");
      window.clearInterval(ticker);
      ticker = window.setInterval(tick, 1000);
    }

    if (keepAlive) keepAlive.addEventListener("submit", function (event) {
      event.preventDefault();
      window.fetch(keepAlive.action, {
        method: "POST",
        body: new FormData(keepAlive),
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.json().then(function (data) {
          if (data.signed_in) { start(data.remaining); } else { endsAt = 0; tick(); }
        });
      }).catch(function () { /* offline: the countdown carries on */ });
    });
    start(parseInt(box.getAttribute("data-remaining"), 10));
  }

  setUpDrafts();
  setUpWarning();
})();
