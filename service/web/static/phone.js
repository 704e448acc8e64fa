/* The phone ballot (service/web/phone.py), loaded before kiosk.js: the code slip's QR code
   opens /vote/<round>#<code>. The code is in the fragment, which the browser never sends to
   the server (no log, no Referer); this puts it in the code field and takes it off the
   address bar and the history entry at once, before anything else runs. */
(function () {
  "use strict";
  var hash = window.location.hash;
  if (!hash || hash.length < 2) { return; }
  var code = "";
  try { code = decodeURIComponent(hash.slice(1)); } catch (e) { code = hash.slice(1); }
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  var field = document.getElementById("code");
  if (field) { field.value = code.trim().slice(0, 24); }
})();
