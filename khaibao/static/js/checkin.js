/* The check-in form: note the time of the scan when it is sent, so that a check-in kept in the
 * outbox while offline is recorded at the time the person was there, not when it was sent.
 * The submission key is renewed on every page view by offline.js. No inline script (CSP). */
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var field = form.elements.scanned_at;
    if (field) { field.value = new Date().toISOString(); }
  });
})();
