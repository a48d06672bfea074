// A part of a form that htmx replaces keeps what the person typed in it. The channel form swaps in the chosen
// platform's fields; on a busy server that answer can land after the URL and secret were typed, and wiped them.
// Mark the replaced element `data-keep-typed` (and give it an id): every non-empty input and textarea is carried
// over, by name, into the new element's inputs of the same name that arrived empty. Secrets never leave the page.
(function () {
  "use strict";
  var FIELDS = "input[name]:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea[name]";
  var typed = {}; // element id -> {name: value}, between the swap and the new element's load

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || !target.hasAttribute("data-keep-typed")) return;
    var values = {};
    target.querySelectorAll(FIELDS).forEach(function (input) {
      if (input.value) values[input.name] = input.value;
    });
    typed[target.id] = values;
  });

  document.addEventListener("htmx:load", function (event) {
    var element = event.target;
    if (!element || !element.id || !(element.id in typed)) return;
    var values = typed[element.id];
    delete typed[element.id];
    element.querySelectorAll(FIELDS).forEach(function (input) {
      if (!input.value && Object.prototype.hasOwnProperty.call(values, input.name)) input.value = values[input.name];
    });
  });
})();
