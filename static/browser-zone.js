// Propose the browser's own timezone on a form that makes a new account (sign-up, accepting an
// invitation). The form opts in with data-propose-zone, which the page sets only on its first showing:
// a form shown again after an error keeps what the person sent. The server's default (UTC) is
// replaced only if the browser names a zone; without JavaScript the field keeps UTC.
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) { return; }
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return;
  document.querySelectorAll("form[data-propose-zone] input[name=timezone]").forEach(function (input) {
    if (input.value === "" || input.value === "UTC") input.value = zone;
  });
})();
