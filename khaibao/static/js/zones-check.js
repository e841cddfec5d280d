/* "Am I in or near an epidemic area?": the location is asked for only when the person presses
   the button (the browser then asks them too), sent once as a GET and never stored. */
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("locate-form");
    var button = document.getElementById("locate-button");
    var status = document.getElementById("locate-status");
    var script = document.querySelector("script[data-denied]");
    if (!form || !button || !("geolocation" in navigator)) { return; }
    form.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = script.getAttribute("data-waiting");
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(6);
        form.elements.lon.value = position.coords.longitude.toFixed(6);
        form.submit();
      }, function () {
        status.textContent = script.getAttribute("data-denied");
        button.disabled = false;
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
