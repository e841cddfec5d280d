/* The report form's optional map point. Without JavaScript the two fields are typed by hand.
   The location is asked for only when the person presses "Use my location" (the browser asks
   them too) and only fills in the fields; a tap on the map (Leaflet from django-leaflet's static
   files, tiles from the configured server only when online) does the same. The server checks the point. */
(function () {
  "use strict";

  function start() {
    var script = document.querySelector("script[data-tapped]");
    var tools = document.getElementById("point-tools");
    var button = document.getElementById("point-locate");
    var status = document.getElementById("point-status");
    var lat = document.getElementById("id_lat");
    var lon = document.getElementById("id_lon");
    if (!script || !tools || !lat || !lon) { return; }
    var box = script.getAttribute("data-box").split(",").map(Number);
    var map = null;
    var marker = null;
    function say(key) { status.textContent = script.getAttribute(key) || ""; }
    function inside(a, b) { return a >= box[0] && a <= box[2] && b >= box[1] && b <= box[3]; }
    function parse(input) {
      var value = input.value.trim().replace(",", ".");
      return value === "" ? NaN : Number(value);
    }
    function show() {
      if (!map) { return; }
      var a = parse(lat);
      var b = parse(lon);
      if (isNaN(a) || isNaN(b) || !inside(a, b)) {
        if (marker) { map.removeLayer(marker); marker = null; }
        return;
      }
      if (marker) { marker.setLatLng([a, b]); } else { marker = L.marker([a, b]).addTo(map); }
    }
    function put(a, b, zoom) {
      lat.value = a.toFixed(6);
      lon.value = b.toFixed(6);
      show();
      if (map && inside(a, b)) { map.setView([a, b], Math.max(map.getZoom(), zoom)); }
    }

    var locating = "geolocation" in navigator;
    var mapping = typeof L !== "undefined";
    if (!locating && !mapping) { return; }
    tools.hidden = false;
    if (!locating) { button.parentNode.hidden = true; }

    if (mapping) {
      var holder = document.getElementById("point-map");
      holder.hidden = false;
      map = L.map(holder, { scrollWheelZoom: false }).fitBounds([[box[0], box[1]], [box[2], box[3]]]);
      // The tile server is the operator's (MAP_TILE_SOURCES, set on the element by core/maps.py).
      var tiles = holder.getAttribute("data-tiles");
      if (navigator.onLine && tiles) {
        L.tileLayer(tiles, {
          maxZoom: 19, attribution: holder.getAttribute("data-tiles-attribution") || ""
        }).addTo(map);
      } else {
        say("data-offline");
      }
      map.on("click", function (event) {
        var p = event.latlng.wrap();
        if (!inside(p.lat, p.lng)) { say("data-outside"); return; }
        put(p.lat, p.lng, 15);
        say("data-tapped");
      });
      lat.addEventListener("change", show);
      lon.addEventListener("change", show);
      show();
      if (marker) { map.setView(marker.getLatLng(), 15); }
    }

    button.addEventListener("click", function () {
      say("data-waiting");
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        var a = position.coords.latitude;
        var b = position.coords.longitude;
        button.disabled = false;
        if (!inside(a, b)) { say("data-outside"); return; }
        put(a, b, 16);
        say("data-found");
      }, function () {
        button.disabled = false;
        say("data-denied");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
