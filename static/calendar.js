// The calendar: drag a publication to another day (or hour), or move it with the keyboard.
// Arrow keys move between days (in a timeline, up/down move by hour), Enter opens the focused day,
// `m` on a publication picks it up: the arrows choose where, Enter drops it, Escape cancels.
// Every move is a POST of the hidden #calendar-move form (its CSRF token) to the publication's
// move URL; the answer fills #calendar-feedback, and the grid redraws itself (SSE or HX-Trigger).
(function () {
  var DAY_MS = 24 * 60 * 60 * 1000;
  var moving = null; // {id, url, time, title} while a publication is picked up with the keyboard
  var restore = null; // the focused cell, remembered across a redraw of #calendar

  function calendar() { return document.getElementById("calendar"); }

  function announce(text) {
    var region = document.getElementById("cal-announce");
    if (region) region.textContent = text;
  }

  function cellOf(element) { return element && element.closest && element.closest("#calendar [data-date]"); }

  function findCell(date, hour) {
    var root = calendar();
    if (!root) return null;
    var selector = '[data-date="' + date + '"]' + (hour === undefined || hour === "" ? "" : '[data-hour="' + hour + '"]');
    return root.querySelector(selector);
  }

  function shiftDate(iso, days) {
    var parts = iso.split("-").map(Number);
    var shifted = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]) + days * DAY_MS);
    return shifted.toISOString().slice(0, 10);
  }

  function focusCell(cell) {
    var root = calendar();
    if (!root || !cell) return;
    root.querySelectorAll('[data-date][tabindex="0"]').forEach(function (other) { other.setAttribute("tabindex", "-1"); });
    cell.setAttribute("tabindex", "0");
    cell.focus();
  }

  function openPeriodAround(date) {
    // Off the edge of this view: load the view that holds the day, keeping the view and filter.
    var root = calendar();
    var params = new URLSearchParams(window.location.search);
    params.set("view", root.dataset.view);
    params.set("date", date);
    params.set("kb", "1");
    if (root.dataset.view === "timeline") params.set("span", root.dataset.span);
    window.location.assign(root.dataset.url + "?" + params.toString());
  }

  function step(cell, key) {
    var date = cell.dataset.date;
    var hour = cell.dataset.hour;
    var timeline = hour !== undefined;
    if (key === "ArrowLeft") date = shiftDate(date, -1);
    else if (key === "ArrowRight") date = shiftDate(date, 1);
    else if (timeline) hour = String(Math.max(0, Math.min(23, Number(hour) + (key === "ArrowUp" ? -1 : 1))));
    else date = shiftDate(date, key === "ArrowUp" ? -7 : 7);
    var next = findCell(date, hour);
    if (next) { focusCell(next); return; }
    if (moving) announce("That day is outside this view; drop the publication here or press Escape.");
    else openPeriodAround(date);
  }

  function move(url, cell, localTime) {
    var values = { date: cell.dataset.date };
    if (cell.dataset.hour !== undefined) {
      var minutes = (localTime || "00:00").slice(3, 5);
      values.time = ("0" + cell.dataset.hour).slice(-2) + ":" + minutes;
    }
    restore = { date: cell.dataset.date, hour: cell.dataset.hour };
    window.htmx.ajax("POST", url, {
      source: "#calendar-move", values: values, target: "#calendar-feedback", swap: "outerHTML",
    });
  }

  function pickUp(item) {
    var link = item.querySelector("a");
    moving = { id: item.dataset.publicationId, url: item.dataset.moveUrl, time: item.dataset.localTime,
               title: link ? link.getAttribute("title") : "#" + item.dataset.publicationId };
    item.classList.add("cal-moving");
    focusCell(cellOf(item));
    announce("Moving " + moving.title + ". Choose a day with the arrow keys, Enter to drop it, Escape to cancel.");
  }

  function putDown(text) {
    document.querySelectorAll(".cal-moving").forEach(function (el) { el.classList.remove("cal-moving"); });
    moving = null;
    if (text) announce(text);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || !calendar()) return;
    var item = event.target.closest && event.target.closest("#calendar .cal-item[data-move-url]");
    if (event.key === "m" && item && !moving) { pickUp(item); event.preventDefault(); return; }
    var cell = event.target.matches && event.target.matches("#calendar [data-date]") ? event.target : null;
    if (event.key === "Escape" && moving) { putDown("Move cancelled."); event.preventDefault(); return; }
    if (!cell) return;
    if (event.key.indexOf("Arrow") === 0) { step(cell, event.key); event.preventDefault(); return; }
    if (event.key === "Enter") {
      event.preventDefault();
      if (moving) {
        var url = moving.url, time = moving.time;
        putDown("Moving to " + cell.dataset.date + "…");
        move(url, cell, time);
      } else if (cell.dataset.dayUrl) {
        window.location.assign(cell.dataset.dayUrl);
      }
    }
  });

  // Drag and drop: publications that can move carry data-move-url; days and hour slots take them.
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("#calendar .cal-item[data-move-url]");
    if (!item) return;
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.publicationId);
    item.classList.add("cal-moving");
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("cal-moving");
    document.querySelectorAll(".cal-drop").forEach(function (el) { el.classList.remove("cal-drop"); });
    dragged = null;
  });
  document.addEventListener("dragover", function (event) {
    var cell = dragged && cellOf(event.target);
    if (!cell) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    cell.classList.add("cal-drop");
  });
  document.addEventListener("dragleave", function (event) {
    var cell = cellOf(event.target);
    if (cell && !cell.contains(event.relatedTarget)) cell.classList.remove("cal-drop");
  });
  document.addEventListener("drop", function (event) {
    var cell = dragged && cellOf(event.target);
    if (!cell) return;
    event.preventDefault();
    cell.classList.remove("cal-drop");
    if (cellOf(dragged) === cell && cell.dataset.hour === undefined) return; // dropped where it was
    move(dragged.dataset.moveUrl, cell, dragged.dataset.localTime);
  });

  // A refused move (409, 422) still shows its reasons, clashes and free slots.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.target && detail.target.id === "calendar-feedback" && [409, 422].indexOf(detail.xhr.status) >= 0) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
    if (detail.target && detail.target.id === "calendar") {
      var focused = cellOf(document.activeElement);
      if (focused) restore = { date: focused.dataset.date, hour: focused.dataset.hour };
    }
  });
  // After a redraw, put the focus (and a picked-up publication's mark) back where they were: at once, in the
  // swap's own task, not at the settle 20 ms later, when a key pressed meanwhile would have gone to the page.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (moving) {
      var item = document.querySelector('#calendar .cal-item[data-publication-id="' + moving.id + '"]');
      if (item) item.classList.add("cal-moving");
    }
    if (restore && (!document.activeElement || document.activeElement === document.body)) {
      var cell = findCell(restore.date, restore.hour);
      if (cell) focusCell(cell);
    }
    var config = event.detail && event.detail.requestConfig;
    if (config && config.verb === "get") restore = null; // the grid itself was redrawn
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (new URLSearchParams(window.location.search).get("kb") === "1") {
      var start = calendar() && calendar().querySelector('[data-date][tabindex="0"]');
      if (start) start.focus();
    }
  });
})();
