// Case pages: the "use my location" button, the resident-contact fields of phone reports, the small map
// of a case, the metrics chart, and showing htmx's 409 answer ("someone else has just changed this case").
(function () {
  "use strict";

  // htmx leaves 4xx answers unswapped; a 409 carries the message the user must see, so swap it in.
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr && event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // "Use my location": the browser gives WGS-84, which is what we store; the form's hidden fields get it.
  document.querySelectorAll("[data-locate]").forEach((button) => {
    const form = button.closest("form");
    const status = form.querySelector("[data-locate-status]");
    const say = (text) => { if (status) status.textContent = text; };
    button.addEventListener("click", () => {
      if (!("geolocation" in navigator)) { say(button.dataset.msgUnsupported); return; }
      say(button.dataset.msgWait);
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          form.querySelector("input[name=longitude]").value = position.coords.longitude.toFixed(6);
          form.querySelector("input[name=latitude]").value = position.coords.latitude.toFixed(6);
          say(`${button.dataset.msgDone} (±${Math.round(position.coords.accuracy)} m)`);
          button.disabled = false;
          // The public form looks again for open cases of the category near this point.
          const extras = document.getElementById("category-extras");
          if (extras && window.htmx) window.htmx.trigger(extras, "located");
        },
        () => { say(button.dataset.msgFail); button.disabled = false; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  });

  // The resident's name and phone matter only for a report by phone or in person.
  document.querySelectorAll("[data-show-for-source]").forEach((fieldset) => {
    const source = fieldset.closest("form").querySelector("select[name=source]");
    if (!source) return;
    const toggle = () => { fieldset.hidden = source.value !== fieldset.dataset.showForSource; };
    source.addEventListener("change", toggle);
    toggle();
  });

  // The case's point on a small map; the server sends it already in the tile layer's coordinate system.
  const mapElement = document.getElementById("case-map");
  if (mapElement && window.L) {
    const point = [parseFloat(mapElement.dataset.lat), parseFloat(mapElement.dataset.lng)];
    const map = window.L.map(mapElement, { scrollWheelZoom: false }).setView(point, 17);
    if (mapElement.dataset.tileUrl) {
      window.L.tileLayer(mapElement.dataset.tileUrl, { attribution: mapElement.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    const gridData = document.getElementById("case-grid");
    const grid = gridData ? JSON.parse(gridData.textContent) : null;
    if (grid) {
      const outline = window.L.geoJSON(grid, { style: { color: "#b8261d", weight: 2, fillColor: "#f7d9c4", fillOpacity: 0.3 } }).addTo(map);
      map.fitBounds(outline.getBounds().extend(point), { padding: [8, 8], maxZoom: 18, animate: false });
    }
    window.L.circleMarker(point, { radius: 9, color: "#fff", weight: 2, fillColor: "#b8261d", fillOpacity: 0.9 }).addTo(map);
  }

  // Closure and on-time closure rate per group, in percent.
  const chartElement = document.getElementById("metrics-chart");
  const chartData = document.getElementById("metrics-data");
  if (chartElement && chartData && window.echarts) {
    const data = JSON.parse(chartData.textContent);
    const chart = window.echarts.init(chartElement);
    chart.setOption({
      // Drawn at once for those who ask for less motion (and for a printout or screenshot taken right away).
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      color: ["#b8261d", "#2c7be5"],
      tooltip: { trigger: "axis", valueFormatter: (value) => (value === null || value === undefined ? "—" : `${value}%`) },
      legend: { top: 0 },
      grid: { left: 40, right: 12, top: 36, bottom: 60 },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 4 ? 35 : 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: data.series.map((series) => ({ name: series.name, type: "bar", data: series.data, barMaxWidth: 28 })),
    });
    window.addEventListener("resize", () => chart.resize());
  }
})();
