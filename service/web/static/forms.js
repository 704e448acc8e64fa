// Forms that keep what was typed when the server refuses it.
//
// When a form is sent, what was typed is kept in this tab's session storage, under the
// page and the form it came from. If the answer is an error page (templates/error.html),
// that page marks the form as refused, with its message and the field to change; going
// back to the form puts the text back, shows the message next to the field
// (aria-describedby, aria-invalid) and moves the focus there. Any other page after a send
// means it went through, and the kept text is dropped.
//
// Never kept: passwords, voter codes, form tokens, hidden fields, files; nothing at all on
// the ballot tablet (a ballot never leaves its page).
(function () {
  "use strict";

  var PREFIX = "redbench.form:";
  var REFUSED = "redbench.refused:";
  var SENT = "redbench.sent";
  var MAX_AGE = 12 * 3600 * 1000; // a form left for longer is not filled in again
  var SECRET = /(^|_)(password|code|codes|token|csrf)($|_)/i;
  var script = document.currentScript;
  var words = {
    restored: script ? script.getAttribute("data-restored") : "",
    reselect: script ? script.getAttribute("data-reselect") : "",
    signedOut: script ? script.getAttribute("data-signed-out") : ""
  };

  function store() {
    try {
      return window.sessionStorage;
    } catch (e) {
      return null; // storage switched off: forms work as before
    }
  }

  function read(key) {
    var s = store();
    if (!s) return null;
    try {
      var value = JSON.parse(s.getItem(key) || "null");
      if (value && Date.now() - (value.at || 0) > MAX_AGE) {
        s.removeItem(key);
        return null;
      }
      return value;
    } catch (e) {
      return null;
    }
  }

  function write(key, value) {
    var s = store();
    if (!s) return;
    value.at = Date.now();
    try {
      s.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* full: the form is sent anyway */
    }
  }

  function drop(key) {
    var s = store();
    if (s) s.removeItem(key);
  }

  function isPost(form) {
    return (form.getAttribute("method") || "").toLowerCase() === "post";
  }

  // Which form this is: the page, its action, and its place among forms with that action.
  function formKey(form) {
    var action = form.getAttribute("action") || "";
    var same = 0;
    var forms = document.forms;
    for (var i = 0; i < forms.length && forms[i] !== form; i++) {
      if ((forms[i].getAttribute("action") || "") === action) same++;
    }
    return location.pathname + "|" + action + "|" + same;
  }

  function keepable(element) {
    var type = (element.type || "").toLowerCase();
    if (!element.name || element.disabled) return false;
    if (type === "password" || type === "hidden" || type === "file") return false;
    if (type === "submit" || type === "button" || type === "reset") return false;
    if (SECRET.test(element.name)) return false;
    return element.getAttribute("autocomplete") !== "one-time-code";
  }

  function typed(form) {
    var values = [];
    var files = false;
    for (var i = 0; i < form.elements.length; i++) {
      var element = form.elements[i];
      var type = (element.type || "").toLowerCase();
      if (type === "file" && element.files && element.files.length) files = true;
      if (!keepable(element)) continue;
      if ((type === "checkbox" || type === "radio") && !element.checked) continue;
      if (element.tagName === "SELECT" && element.multiple) {
        for (var j = 0; j < element.options.length; j++) {
          if (element.options[j].selected) values.push([element.name, element.options[j].value]);
        }
        continue;
      }
      values.push([element.name, element.value]);
    }
    return { values: values, files: files };
  }

  function onSend(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !isPost(form)) return;
    if (form.hasAttribute("data-keep-nothing")) return;
    var key = formKey(form);
    var kept = typed(form);
    if (!kept.values.length && !kept.files) return;
    write(PREFIX + key, kept);
    write(SENT, { key: key });
  }

  function fill(form, values) {
    var byName = {};
    values.forEach(function (pair) {
      (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]);
    });
    var used = {};
    for (var i = 0; i < form.elements.length; i++) {
      var element = form.elements[i];
      if (!keepable(element) || !(element.name in byName)) continue;
      var wanted = byName[element.name];
      var type = (element.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        element.checked = wanted.indexOf(element.value) >= 0;
      } else if (element.tagName === "SELECT" && element.multiple) {
        for (var j = 0; j < element.options.length; j++) {
          element.options[j].selected = wanted.indexOf(element.options[j].value) >= 0;
        }
      } else {
        var n = used[element.name] || 0;
        if (n < wanted.length) element.value = wanted[n];
        used[element.name] = n + 1;
      }
    }
  }

  function openAround(element) {
    for (var node = element; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
  }

  function describe(element, id) {
    var was = element.getAttribute("aria-describedby");
    var ids = was ? was.split(/\s+/) : [];
    if (ids.indexOf(id) < 0) ids.unshift(id);
    element.setAttribute("aria-describedby", ids.join(" "));
  }

  function note(text, id, className) {
    var p = document.createElement("p");
    p.id = id;
    p.className = className;
    p.textContent = text;
    return p;
  }

  // The message next to the field it names (after the group for checkboxes), or at the
  // top of the form when no field of the form has that name.
  function showRefusal(form, refused, files, index) {
    var id = "refused-" + index;
    var named = refused.field ? form.querySelectorAll('[name="' + CSS.escape(refused.field) + '"]') : [];
    var banner = note(words.restored + (files ? " " + words.reselect : ""), id + "-kept", "help restored");
    form.insertBefore(banner, form.firstChild);
    var message = note(refused.message, id, "field-error");
    message.setAttribute("role", "alert");
    var target;
    if (named.length) {
      target = named[0];
      var last = named[named.length - 1];
      var group = last.closest("fieldset");
      var after = group && named.length > 1 ? group : last.closest("label") || last;
      after.parentNode.insertBefore(message, after.nextSibling);
      for (var i = 0; i < named.length; i++) {
        named[i].setAttribute("aria-invalid", "true");
        describe(named[i], id);
      }
    } else {
      form.insertBefore(message, banner.nextSibling);
      message.tabIndex = -1;
      target = message;
    }
    openAround(target);
    target.focus();
    if (target.scrollIntoView) target.scrollIntoView({ block: "center" });
  }

  // The error page: mark the form last sent as refused, with the message and the field.
  function onErrorPage(refusal) {
    if (!refusal.hasAttribute("data-from-form")) return;
    var sent = read(SENT);
    if (!sent) return;
    drop(SENT);
    var alert = refusal.querySelector("[role=alert]");
    write(REFUSED + sent.key, {
      field: refusal.getAttribute("data-field") || "",
      message: alert ? alert.textContent : ""
    });
    if (read(PREFIX + sent.key)) {
      var kept = refusal.querySelector("[data-kept]");
      if (kept) kept.hidden = false;
    }
  }

  // The sign-in page reached from a form: the sign-in had lapsed, the form was not sent.
  function onSignIn() {
    var sent = read(SENT);
    var signIn = null;
    for (var i = 0; i < document.forms.length; i++) {
      if ((document.forms[i].getAttribute("action") || "") === "/console/login") signIn = document.forms[i];
    }
    if (!sent || !signIn || sent.key === formKey(signIn)) return false;
    drop(SENT);
    write(REFUSED + sent.key, { field: "", message: words.signedOut });
    return true;
  }

  function onPage() {
    if (document.documentElement.classList.contains("kiosk")) return;
    var refusal = document.getElementById("refusal");
    if (refusal) {
      onErrorPage(refusal);
      return;
    }
    if (!onSignIn()) {
      var sent = read(SENT);
      if (sent) {
        drop(SENT); // any page but an error page: it went through
        drop(PREFIX + sent.key);
      }
    }
    for (var i = 0; i < document.forms.length; i++) {
      var form = document.forms[i];
      if (!isPost(form)) continue;
      var key = formKey(form);
      var refused = read(REFUSED + key);
      if (!refused) continue;
      var kept = read(PREFIX + key);
      drop(REFUSED + key);
      drop(PREFIX + key);
      if (kept) fill(form, kept.values);
      showRefusal(form, refused, kept && kept.files, i);
    }
  }

  if (document.documentElement.classList.contains("kiosk")) return;
  document.addEventListener("submit", onSend, true);
  window.addEventListener("pageshow", onPage);
})();
