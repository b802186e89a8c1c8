// The county's projects as points. With no tile URL configured (county intranets have no internet)
// the points stand on a plain background and the map still fits them.
(function () {
  "use strict";
  var el = document.getElementById("project-map");
  if (!el || !window.L) return;
  // A view must exist before layers with permanent tooltips are added; the data then refits it.
  // Leaflet's own controls speak English: their titles and the attribution prefix come from the page,
  // translated. The prefix is HTML to Leaflet, so it is built from text nodes.
  var map = L.map(el, { preferCanvas: false, zoomControl: false }).setView([37.07, 114.5], 8);
  L.control.zoom({
    zoomInTitle: el.dataset.zoomInTitle || "Zoom in",
    zoomOutTitle: el.dataset.zoomOutTitle || "Zoom out",
  }).addTo(map);
  if (el.dataset.attributionPrefix && map.attributionControl) {
    var engine = document.createElement("a");
    engine.href = "https://leafletjs.com";
    engine.textContent = el.dataset.attributionPrefix;
    map.attributionControl.setPrefix(engine.outerHTML);
  }
  var tiles = el.dataset.tileUrl;
  if (tiles) {
    L.tileLayer(tiles, { attribution: el.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }
  var colours = { red: "#b42318", amber: "#b7791f", green: "#1a7f37" };
  var noHealth = "#0b4f9c";
  // The legend, written in the page (translated), placed on the map with the colours the points use.
  var legend = document.getElementById("map-legend");
  if (legend) {
    legend.querySelectorAll("[data-health]").forEach(function (item) {
      item.querySelector(".swatch").style.backgroundColor = colours[item.dataset.health] || noHealth;
    });
    var legendControl = L.control({ position: "bottomleft" });
    legendControl.onAdd = function () {
      L.DomEvent.disableClickPropagation(legend);
      return legend;
    };
    legendControl.addTo(map);
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          var c = colours[feature.properties.health] || noHealth;
          return L.circleMarker(latlng, { radius: 7, color: "#fff", weight: 1, fillColor: c, fillOpacity: 0.9 });
        },
        onEachFeature: function (feature, marker) {
          var p = feature.properties;
          var link = document.createElement("a");
          link.href = p.url;
          link.textContent = p.code + " " + p.name;
          var box = document.createElement("div");
          box.appendChild(link);
          box.appendChild(document.createElement("br"));
          box.appendChild(document.createTextNode(p.level + " · " + p.stage));
          marker.bindPopup(box);
          marker.options.keyboard = true;
        },
      }).addTo(map);
      (data.seats || []).forEach(function (seat) {
        var c = seat.geometry.coordinates;
        // Leaflet puts a string into innerHTML: names go in as text nodes, as in the pop-ups above.
        var name = document.createElement("span");
        name.textContent = seat.properties.name;
        L.circleMarker([c[1], c[0]], { radius: 3, color: "#56606b", weight: 1, fillOpacity: 1, interactive: false })
          .bindTooltip(name, { permanent: true, direction: "right", className: "seat-label" })
          .addTo(map);
      });
      var n = data.features.length;
      var summary = document.getElementById("map-summary");
      summary.textContent = summary.dataset.template.replace("%(n)s", n);
      el.dataset.points = n;
      // Capped: one point is a bounds of no size, and a map without tiles has no zoom limit of its own.
      if (n) { map.fitBounds(layer.getBounds().pad(0.05), { maxZoom: 15 }); }
    });
})();
