// The grid map: grid polygons and compound points from the scoped GeoJSON endpoint, drawn with Leaflet.
// Coordinates arrive already converted to the tile layer's system by the server.
(function () {
  "use strict";
  const element = document.getElementById("grid-map");
  if (!element) return;
  const map = L.map(element, { zoomSnap: 0.25 });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  fetch(element.dataset.src, { credentials: "same-origin" })
    .then((response) => response.json())
    .then((data) => {
      const grids = L.geoJSON(data.features.filter((f) => f.properties.kind === "grid"), {
        style: { color: "#b8261d", weight: 2, fillColor: "#f7d9c4", fillOpacity: 0.35 },
        onEachFeature: (feature, layer) => {
          layer.bindTooltip(escape(feature.properties.name), { permanent: true, direction: "center", className: "grid-label" });
        },
      }).addTo(map);
      const compounds = L.geoJSON(data.features.filter((f) => f.properties.kind === "compound"), {
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
          radius: 7, weight: 1, color: "#fff", fillOpacity: 0.9,
          fillColor: feature.properties.unmanaged ? "#e35d52" : "#2c7be5",
        }),
        onEachFeature: (feature, layer) => {
          const p = feature.properties;
          layer.bindPopup(`<strong>${escape(p.name)}</strong><br>${escape(element.dataset.labelGrid)}: ${escape(p.grid)}<br><a href="${escape(p.url)}">${escape(element.dataset.labelOpen)}</a>`);
        },
      }).addTo(map);
      const bounds = grids.getBounds().isValid() ? grids.getBounds() : compounds.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
      else map.setView([34.789, 113.659], 15);
      element.dataset.loaded = String(data.features.length);
    });
})();
