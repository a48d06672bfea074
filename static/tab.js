// Name this browser tab for the live stream (/events?tab=<id>), so the stream of a page the tab has
// left gives its slot under the per-user stream cap to the next page's stream at once.
// The id lives in sessionStorage across the tab's pages. It is taken out while a page is open and
// put back when the page goes, so a tab duplicated meanwhile (which copies sessionStorage) gets
// an id of its own. Loaded (deferred) before htmx, which reads sse-connect at DOMContentLoaded.
(function () {
  "use strict";
  var KEY = "herald-tab";
  var id = null;
  try {
    id = window.sessionStorage.getItem(KEY);
    window.sessionStorage.removeItem(KEY);
  } catch (e) { /* storage refused: a fresh id per page, as without this script */ }
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    id = Array.from(window.crypto.getRandomValues(new Uint8Array(12)), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  window.addEventListener("pagehide", function () {
    try { window.sessionStorage.setItem(KEY, id); } catch (e) { /* nothing to keep */ }
  });
  // A deferred script runs once the document is parsed, before DOMContentLoaded: the body is there.
  var body = document.body;
  var url = body && body.getAttribute("sse-connect");
  if (url && url.indexOf("tab=") < 0) {
    body.setAttribute("sse-connect", url + (url.indexOf("?") < 0 ? "?" : "&") + "tab=" + id);
  }
})();
