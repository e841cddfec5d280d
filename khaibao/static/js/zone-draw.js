/* Drawing a zone's circle and polygon, or a place's point and radius, on a map
   (backoffice/zones/_map_editor.html). Leaflet and Leaflet.draw come from django-leaflet's static
   files. Every shape drawn, changed or deleted is written into the coordinate fields of the form
   ("Coordinates (advanced)"), and what is typed there is drawn: the fields are what is sent, the
   map is a way to fill them. Tiles from the configured server only when online; under them (and alone when
   offline) a grid of coordinates on a blank background, with the chosen wards named in a box. */
(function () {
  "use strict";
  var STYLE = { color: "#b3261e", fillColor: "#b3261e", fillOpacity: 0.2, weight: 3 };
  var VIETNAM = [[8.2, 102.1], [23.4, 109.5]];

  function number(input) {
    var value = input ? input.value.trim().replace(",", ".") : "";
    return value === "" ? NaN : Number(value);
  }

  function localise(t) {
    var d = L.drawLocal.draw;
    var e = L.drawLocal.edit;
    d.toolbar.actions = { title: t("cancel-title"), text: t("cancel") };
    d.toolbar.finish = { title: t("finish-title"), text: t("finish") };
    d.toolbar.undo = { title: t("undo-title"), text: t("undo") };
    d.toolbar.buttons.circle = t("circle");
    d.toolbar.buttons.polygon = t("polygon");
    d.handlers.circle.tooltip.start = t("circle-start");
    d.handlers.circle.radius = t("radius");
    d.handlers.polygon.tooltip = { start: t("polygon-start"), cont: t("polygon-cont"), end: t("polygon-end") };
    d.handlers.polyline.error = t("cross");
    d.handlers.simpleshape.tooltip.end = t("release");
    e.toolbar.actions.save = { title: t("save-title"), text: t("save") };
    e.toolbar.actions.cancel = { title: t("discard-title"), text: t("cancel") };
    e.toolbar.actions.clearAll = { title: t("clear-title"), text: t("clear") };
    e.toolbar.buttons = { edit: t("edit"), editDisabled: t("edit-none"), remove: t("remove"), removeDisabled: t("remove-none") };
    e.handlers.edit.tooltip = { text: t("edit-tip"), subtext: t("edit-sub") };
    e.handlers.remove.tooltip = { text: t("remove-tip") };
  }

  // Lines every tile with its north-west corner's coordinates: orientation without a background.
  var Graticule = L.GridLayer.extend({
    createTile: function (coords) {
      var tile = document.createElement("canvas");
      var size = this.getTileSize();
      tile.width = size.x;
      tile.height = size.y;
      var ctx = tile.getContext("2d");
      ctx.strokeStyle = "#c3ccd6";
      ctx.strokeRect(0, 0, size.x, size.y);
      var corner = this._map.unproject(coords.scaleBy(size), coords.z);
      ctx.fillStyle = "#4b5563";
      ctx.font = "12px sans-serif";
      ctx.fillText(corner.lat.toFixed(3) + ", " + corner.lng.toFixed(3), 4, 14);
      return tile;
    }
  });

  function start() {
    var box = document.getElementById("map-editor");
    if (!box || typeof L === "undefined" || !L.Control || !L.Control.Draw) { return; }
    var t = function (key) { return box.getAttribute("data-t-" + key) || ""; };
    var field = function (name) { var id = box.getAttribute("data-" + name); return id ? document.getElementById(id) : null; };
    var lat = field("lat");
    var lon = field("lon");
    var radius = field("radius");
    var polygon = field("polygon");
    var note = document.getElementById("map-note");
    localise(t);
    box.hidden = false;

    // Opens on the official's province (its box, zones/inputs.py), where their shapes must lie.
    var bounds = box.getAttribute("data-bounds");
    var map = L.map("zone-map", { scrollWheelZoom: false }).fitBounds(bounds ? JSON.parse(bounds) : VIETNAM);
    new Graticule({ zIndex: 0 }).addTo(map);
    function offline() { note.textContent = t("offline"); }
    // The tile server is the operator's (MAP_TILE_SOURCES, set on the element by core/maps.py).
    var source = box.getAttribute("data-tiles");
    if (navigator.onLine && source) {
      var tiles = L.tileLayer(source, {
        maxZoom: 19, attribution: box.getAttribute("data-tiles-attribution") || ""
      });
      tiles.once("tileerror", offline);
      tiles.addTo(map);
    } else {
      offline();
    }

    var drawn = new L.FeatureGroup().addTo(map);
    var circle = null;
    var shape = null;
    map.addControl(new L.Control.Draw({
      position: "topleft",
      draw: {
        polyline: false, rectangle: false, marker: false, circlemarker: false,
        circle: { shapeOptions: STYLE, showRadius: true, metric: true },
        polygon: polygon ? { allowIntersection: false, showArea: false, shapeOptions: STYLE } : false
      },
      edit: { featureGroup: drawn }
    }));

    function write() {
      if (circle) {
        var c = circle.getLatLng();
        lat.value = c.lat.toFixed(6);
        lon.value = c.lng.toFixed(6);
        radius.value = String(Math.round(circle.getRadius()));
      } else {
        lat.value = "";
        lon.value = "";
        if (polygon) { radius.value = ""; }
      }
      if (polygon) {
        if (shape) {
          var geometry = shape.toGeoJSON(6).geometry;
          polygon.value = JSON.stringify({ type: "Polygon", coordinates: geometry.coordinates });
        } else {
          polygon.value = "";
        }
      }
    }

    function read() {
      drawn.clearLayers();
      circle = null;
      shape = null;
      var a = number(lat);
      var b = number(lon);
      var r = number(radius);
      if (!isNaN(a) && !isNaN(b) && !isNaN(r) && r > 0) {
        circle = L.circle([a, b], L.extend({ radius: r }, STYLE));
        drawn.addLayer(circle);
      }
      if (polygon && polygon.value.trim()) {
        try {
          var geojson = JSON.parse(polygon.value);
          L.geoJSON(geojson, { style: function () { return STYLE; } }).eachLayer(function (layer) {
            if (!shape && layer instanceof L.Polygon) { shape = L.polygon(layer.getLatLngs(), STYLE); drawn.addLayer(shape); }
          });
        } catch (ignored) {
          // Not JSON (yet): the server says what is wrong with it.
        }
      }
      if (drawn.getLayers().length) { map.fitBounds(drawn.getBounds(), { maxZoom: 16, padding: [24, 24] }); }
    }

    map.on(L.Draw.Event.CREATED, function (event) {
      if (event.layerType === "circle") {
        if (circle) { drawn.removeLayer(circle); }
        circle = event.layer;
      } else {
        if (shape) { drawn.removeLayer(shape); }
        shape = event.layer;
      }
      drawn.addLayer(event.layer);
      write();
    });
    map.on(L.Draw.Event.EDITED, write);
    map.on(L.Draw.Event.DELETED, function (event) {
      event.layers.eachLayer(function (layer) {
        if (layer === circle) { circle = null; }
        if (layer === shape) { shape = null; }
      });
      write();
    });
    [lat, lon, radius, polygon].forEach(function (input) { if (input) { input.addEventListener("change", read); } });
    read();

    // The wards and the whole province are not drawn (no boundaries are known): named instead.
    var form = box.closest("form");
    var wards = L.control({ position: "topright" });
    wards.onAdd = function () {
      var div = L.DomUtil.create("div", "map-wards");
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    wards.addTo(map);
    function names() {
      var div = wards.getContainer();
      var picked = Array.prototype.slice.call(form.querySelectorAll("input[name=wards]:checked"))
        .map(function (input) { return input.closest("label").textContent.trim(); });
      var whole = form.querySelector("input[name=whole_province]");
      if (whole && whole.checked) { picked.unshift(t("province")); }
      div.hidden = !form.querySelector("input[name=wards]") && !whole;
      div.textContent = "";
      var title = document.createElement("strong");
      title.textContent = t("wards");
      div.appendChild(title);
      var list = document.createElement("div");
      list.textContent = picked.length ? picked.join("; ") : t("no-wards");
      div.appendChild(list);
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "wards" || event.target.name === "whole_province") { names(); }
    });
    names();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
