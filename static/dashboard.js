// The dashboard's panels, arranged by hand: drag a panel by its header, or focus the header and press
// Alt+ArrowUp / Alt+ArrowDown. Each change is the same POST the panel's buttons make without JavaScript
// (/dashboard/layout); the server answers with the panels in their new order, swapped in by htmx.
(function () {
  "use strict";
  var dragged = null;
  var refocus = null; // after a swap: {panel, action} of the control the user worked, or {panel} for its header

  function container() { return document.getElementById("dashboard-panels"); }

  function panelOf(node) { return node && node.closest && node.closest("[data-panel]"); }

  function arm(root) {
    // Only with JavaScript are headers draggable: without it the buttons do the moving.
    (root || document).querySelectorAll("[data-panel-handle]").forEach(function (handle) {
      handle.setAttribute("draggable", "true");
    });
  }

  function saveOrder() {
    var box = container();
    var token = box && box.querySelector('input[name="csrf_token"]');
    if (!box || !token || !window.htmx) return;
    var order = Array.prototype.map.call(box.querySelectorAll("[data-panel]"), function (panel) {
      return panel.getAttribute("data-panel");
    });
    window.htmx.ajax("POST", box.getAttribute("data-order-url"), {
      target: "#dashboard-panels", swap: "outerHTML",
      values: { csrf_token: token.value, order: order.join(",") }
    });
  }

  document.addEventListener("dragstart", function (event) {
    var handle = event.target.closest && event.target.closest("[data-panel-handle]");
    if (!handle) return;
    dragged = panelOf(handle);
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.getAttribute("data-panel"));
  });

  document.addEventListener("dragover", function (event) {
    var over = panelOf(event.target);
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("drop", function (event) {
    if (dragged) event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    refocus = { panel: dragged.getAttribute("data-panel") };
    dragged = null;
    saveOrder();
  });

  document.addEventListener("keydown", function (event) {
    var handle = event.target.closest && event.target.closest("[data-panel-handle]");
    if (!handle || !event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    var panel = panelOf(handle);
    var button = panel.querySelector('[data-panel-action="' + (event.key === "ArrowUp" ? "up" : "down") + '"]');
    event.preventDefault();
    if (!button) return; // already first or last
    refocus = { panel: panel.getAttribute("data-panel") };
    button.click();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-panel-action]");
    if (button && !refocus) {
      refocus = { panel: panelOf(button) ? panelOf(button).getAttribute("data-panel") : null,
                  action: button.getAttribute("data-panel-action") };
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var box = container();
    var swapped = event.detail && event.detail.target;
    if (!box || (event.target !== box && swapped !== box && !(swapped && swapped.id === "dashboard-panels"))) return;
    arm(box);
    var wanted = refocus;
    refocus = null;
    if (!wanted || !wanted.panel) return;
    var panel = box.querySelector('[data-panel="' + wanted.panel + '"]');
    var opposite = { collapse: "expand", expand: "collapse" };
    var target = panel && wanted.action &&
      (panel.querySelector('[data-panel-action="' + wanted.action + '"]') ||
       panel.querySelector('[data-panel-action="' + (opposite[wanted.action] || "") + '"]'));
    if (!target && panel) target = panel.querySelector("[data-panel-handle]");
    if (!target && wanted.action === "hide") target = box.querySelector('[data-panel-action="show"]');
    if (target) target.focus();
  });

  document.addEventListener("DOMContentLoaded", function () { arm(document); });
})();
