/* The epidemic zones map (web/zones/list.html): Leaflet from django-leaflet's static files,
   tiles from the configured server (MAP_TILE_SOURCES) only when the browser is online. The list under the map has everything;
   the map is a help, never the only way to see a zone. */
(function () {
  "use strict";
  var COLOURS = { green: "#1e7b34", yellow: "#b58900", orange: "#c4560c", red: "#b3261e" };

  function start() {
    var box = document.getElementById("zones-map");
    var data = document.getElementById("zones-data");
    if (!box || !data || typeof L === "undefined") { return; }
    var script = document.querySelector("script[data-offline]");
    var note = document.getElementById("zones-map-note");
    box.hidden = false;
    var map = L.map(box, { scrollWheelZoom: false }).setView([16.0, 106.0], 5);
    // The tile server is the operator's (MAP_TILE_SOURCES, set on the element by core/maps.py).
    var tiles = box.getAttribute("data-tiles");
    if (navigator.onLine && tiles) {
      L.tileLayer(tiles, {
        maxZoom: 19,
        attribution: box.getAttribute("data-tiles-attribution") || ""
      }).addTo(map);
      if (note) { note.hidden = true; }
    } else if (note && script) {
      note.textContent = script.getAttribute("data-offline");
    }
    var layers = [];
    JSON.parse(data.textContent).features.forEach(function (feature) {
      var p = feature.properties;
      var colour = COLOURS[p.colour] || COLOURS.red;
      var style = { color: colour, fillColor: colour, fillOpacity: 0.25, weight: 2 };
      var label = document.createElement("div");
      var strong = document.createElement("strong");
      strong.textContent = p.name;
      label.appendChild(strong);
      label.appendChild(document.createElement("br"));
      label.appendChild(document.createTextNode(p.level ? (p.level + " — " + p.colour_word) : p.colour_word));
      var link = document.createElement("a");
      link.href = "#" + p.kind + "-" + p.id;
      link.textContent = " ↓";
      label.appendChild(link);
      var geometries = !feature.geometry ? [] :
        feature.geometry.type === "GeometryCollection" ? feature.geometry.geometries : [feature.geometry];
      geometries.forEach(function (g) {
        var layer;
        if (g.type === "Point") {
          layer = L.circle([g.coordinates[1], g.coordinates[0]], Object.assign({ radius: p.radius_m || 100 }, style));
        } else {
          layer = L.geoJSON(g, { style: function () { return style; } });
        }
        layer.bindPopup(label.cloneNode(true)).addTo(map);
        layers.push(layer);
      });
    });
    if (layers.length) {
      map.fitBounds(L.featureGroup(layers).getBounds(), { maxZoom: 14, padding: [16, 16] });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
