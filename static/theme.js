// The colour theme: the one the user picked (the toggle, or settings), else the system's prefers-color-scheme,
// applied before first paint. Until a choice is saved the page follows the system's changes as they happen.
(function () {
  "use strict";
  var KEY = "herald-theme";
  var root = document.documentElement;
  var light = window.matchMedia ? window.matchMedia("(prefers-color-scheme: light)") : null;

  function saved() {
    try {
      var value = localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch (e) { return null; } // storage blocked: nothing saved
  }

  function save(value) {
    try {
      if (value) localStorage.setItem(KEY, value); else localStorage.removeItem(KEY);
    } catch (e) { /* not remembered */ }
  }

  function apply() {
    root.setAttribute("data-theme", saved() || (light && light.matches ? "light" : "dark"));
  }

  apply();
  if (light) {
    var follow = function () { if (!saved()) apply(); };
    if (light.addEventListener) light.addEventListener("change", follow); else light.addListener(follow);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (button) {
      button.addEventListener("click", function () {
        save(root.getAttribute("data-theme") === "light" ? "dark" : "light");
        apply();
        syncChoice();
      });
    }
    // Settings offers system / light / dark (shown only with JavaScript: the choice lives in this browser).
    var choice = document.getElementById("theme-choice");
    function syncChoice() {
      if (!choice) return;
      var current = saved() || "system";
      choice.querySelectorAll('input[name="theme"]').forEach(function (radio) { radio.checked = radio.value === current; });
    }
    if (choice) {
      choice.hidden = false;
      syncChoice();
      choice.addEventListener("change", function (event) {
        if (event.target.name !== "theme") return;
        save(event.target.value === "system" ? null : event.target.value);
        apply();
      });
    }
  });
})();
