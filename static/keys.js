// Keyboard shortcuts: `?` help, `g` then a letter to go somewhere, `/` search, j/k move, x select.
(function () {
  var pendingG = false;

  function goTo(key) {
    // The help dialog (templates/base.html) lists each go-to key with its page: one list for both.
    var row = document.querySelector('#shortcuts [data-goto-key="' + CSS.escape(key) + '"]');
    return row && row.getAttribute("data-goto-href");
  }

  function typing(target) {
    var tag = target && target.tagName;
    // A ticked checkbox keeps the focus: shortcuts must still work there, only text entry is typing.
    if (tag === "INPUT") return !/^(checkbox|radio|button|submit|reset)$/i.test(target.type);
    return tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function rows() {
    // The job monitor's results, or any list with a bulk bar (schedules, content).
    return Array.prototype.slice.call(document.querySelectorAll("#results tbody tr, #publications tbody tr, [data-bulk-rows] tbody tr"));
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var current = all.indexOf(document.querySelector("tr.cursor"));
    var next = Math.max(0, Math.min(all.length - 1, current + step));
    if (current >= 0) all[current].classList.remove("cursor");
    all[next].classList.add("cursor");
    var link = all[next].querySelector("a");
    (link || all[next]).focus();
    all[next].scrollIntoView({ block: "nearest" });
  }

  function toggleSelect() {
    var row = document.querySelector("tr.cursor");
    var box = row && row.querySelector("input[type=checkbox]");
    if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function bulk(action) {
    var button = document.querySelector('[data-bulk-action="' + action + '"]');
    if (button) button.click();
  }

  document.addEventListener("change", function (event) {
    if (event.target.id !== "select-page") return;
    document.querySelectorAll('input[name="ids"][form="bulk-form"]').forEach(function (box) { box.checked = event.target.checked; });
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-dismiss]");
    if (!target) return;
    var panel = document.getElementById(target.getAttribute("data-dismiss"));
    if (panel) panel.innerHTML = "";
  });

  function off() {
    // Turned off in settings (WCAG 2.1.4): the page says so on <body data-shortcuts="off">.
    return document.body && document.body.getAttribute("data-shortcuts") === "off";
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || off() || typing(event.target)) return;
    var help = document.getElementById("shortcuts");
    if (pendingG) {
      pendingG = false;
      var href = goTo(event.key);
      if (href) { window.location.assign(href); event.preventDefault(); }
      return;
    }
    switch (event.key) {
      case "?": if (help) { help.open ? help.close() : help.showModal(); } break;
      case "g": pendingG = true; setTimeout(function () { pendingG = false; }, 1500); break;
      case "/": var search = document.getElementById("search"); if (search) { search.focus(); event.preventDefault(); } break;
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": toggleSelect(); break;
      case "P": bulk("pause"); break;
      case "R": bulk("resume"); break;
      case "T": bulk("retry"); break;
      case "C": bulk("cancel"); break;
      case "A": bulk("approve"); break;
      case "V": bulk("archive"); break;
      default: return;
    }
  });
})();
