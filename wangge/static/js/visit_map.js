// The visit map: grid polygons, and compounds, open shops and office buildings coloured by how their visits
// stand today (within period, due soon, overdue, never visited). Coordinates arrive already converted to the
// tile layer's system by the server; the labels come from the page, in the user's language.
(function () {
  "use strict";
  const element = document.getElementById("visit-map");
  if (!element || !window.L) return;
  const COLOURS = { ok: "#2e9e52", due_soon: "#f0ad1e", overdue: "#d62f2f", never: "#343a40" };
  const labels = element.dataset;
  const map = window.L.map(element, { zoomSnap: 0.25 });
  if (labels.tileUrl) {
    window.L.tileLayer(labels.tileUrl, { attribution: labels.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  // A label of the page is a whole phrase with the value's place in it ("Grid: {value}"): each language puts
  // its own punctuation around the value.
  const fill = (label, value) => escape(label).replace("{value}", () => escape(value));
  const popup = (p) => [
    `<strong>${escape(p.name)}</strong> <span class="text-muted">${escape(p.target_label)}</span>`,
    fill(labels.labelGrid, p.grid),
    fill(labels.labelPeriod, p.period),
    fill(labels.labelLast, p.last || labels.labelNever),
    p.due ? fill(labels.labelDue, p.due) : "",
    `<a href="${escape(p.url)}">${escape(labels.labelHistory)}</a>`,
  ].filter(Boolean).join("<br>");
  fetch(element.dataset.src, { credentials: "same-origin" })
    .then((response) => response.json())
    .then((data) => {
      const grids = window.L.geoJSON(data.features.filter((f) => f.properties.kind === "grid"), {
        style: { color: "#b8261d", weight: 2, fillColor: "#f7d9c4", fillOpacity: 0.25 },
        onEachFeature: (feature, layer) => {
          layer.bindTooltip(escape(feature.properties.name), { permanent: true, direction: "center", className: "grid-label" });
        },
      }).addTo(map);
      const places = window.L.geoJSON(data.features.filter((f) => f.properties.kind === "place"), {
        pointToLayer: (feature, latlng) => window.L.circleMarker(latlng, {
          radius: feature.properties.target === "compound" ? 8 : 6,
          weight: 1, color: "#fff", fillOpacity: 0.95,
          fillColor: COLOURS[feature.properties.status] || COLOURS.never,
        }),
        onEachFeature: (feature, layer) => layer.bindPopup(popup(feature.properties)),
      }).addTo(map);
      const bounds = grids.getBounds().isValid() ? grids.getBounds() : places.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
      else map.setView([34.789, 113.659], 15);
      Object.entries(data.summary || {}).forEach(([status, count]) => {
        document.querySelectorAll(`#visit-legend [data-count="${status}"]`).forEach((span) => { span.textContent = String(count); });
      });
      element.dataset.loaded = String(data.features.length);
    });
})();
