/* Report points on the officials' report list: Leaflet from django-leaflet's static files,
   tiles from the configured server (MAP_TILE_SOURCES) only when online. The table below has everything. */
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("reports-map");
    var data = document.getElementById("reports-points");
    if (!box || !data || typeof L === "undefined") { return; }
    var points = JSON.parse(data.textContent);
    box.hidden = false;
    var map = L.map(box, { scrollWheelZoom: false }).setView([16.0, 106.0], 5);
    // The tile server is the operator's (MAP_TILE_SOURCES, set on the element by core/maps.py).
    var tiles = box.getAttribute("data-tiles");
    if (navigator.onLine && tiles) {
      L.tileLayer(tiles, {
        maxZoom: 19, attribution: box.getAttribute("data-tiles-attribution") || ""
      }).addTo(map);
    }
    var bounds = [];
    points.forEach(function (p) {
      var link = document.createElement("a");
      link.href = "./" + p.id + "/";
      link.textContent = "#" + p.id;
      L.circleMarker([p.lat, p.lon], { radius: 7, color: p.status === "received" ? "#b3261e" : "#c4560c" })
        .bindPopup(link).addTo(map);
      bounds.push([p.lat, p.lon]);
    });
    if (bounds.length) { map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] }); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
