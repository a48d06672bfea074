// A form that posts shows that it is busy and cannot be sent twice.
// htmx forms: htmx disables their submit buttons for the request's length (hx-disabled-elt, set here when the
// form names none) and marks the form `htmx-request`. Plain forms: the first submit marks the form busy and
// disables its buttons; a second submit meanwhile is dropped. Coming back (bfcache, history) enables them again.
(function () {
  "use strict";
  var HTMX_POST = "form[hx-post], form[hx-put], form[hx-patch], form[hx-delete]";

  function buttons(form) {
    var inside = Array.prototype.slice.call(form.querySelectorAll("button:not([type=button]), input[type=submit]"));
    var outside = form.id ? Array.prototype.slice.call(document.querySelectorAll('[type=submit][form="' + CSS.escape(form.id) + '"]')) : [];
    return inside.concat(outside);
  }

  function markHtmxForms(root) {
    (root.matches && root.matches(HTMX_POST) ? [root] : []).concat(Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll(HTMX_POST) : []))
      .forEach(function (form) {
        if (!form.hasAttribute("hx-disabled-elt")) form.setAttribute("hx-disabled-elt", "find [type=submit]");
      });
  }

  function settle(form, busy) {
    if (busy) form.setAttribute("aria-busy", "true"); else form.removeAttribute("aria-busy");
    form.classList.toggle("busy", busy);
    buttons(form).forEach(function (button) {
      if (busy && !button.disabled) { button.disabled = true; button.setAttribute("data-busy-disabled", ""); }
      if (!busy && button.hasAttribute("data-busy-disabled")) { button.disabled = false; button.removeAttribute("data-busy-disabled"); }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    // htmx (and any script) that took the submit over has prevented the default: it is not a plain post.
    if (event.defaultPrevented || (form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    if (form.hasAttribute("data-busy")) { event.preventDefault(); return; }
    form.setAttribute("data-busy", "");
    // Disabled after this turn: a button disabled now would drop its own name=value from what is sent.
    setTimeout(function () { settle(form, true); }, 0);
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-busy]").forEach(function (form) {
      form.removeAttribute("data-busy");
      settle(form, false);
    });
  });

  document.addEventListener("DOMContentLoaded", function () { markHtmxForms(document); });
  document.addEventListener("htmx:load", function (event) { markHtmxForms(event.target); });
})();
