// The dashboard's chart: recipients per minute by verdict and reason, drawn with uPlot from
// /dashboard/chart. No inline script (the console's Content-Security-Policy forbids it).
"use strict";
(function () {
  var element = document.getElementById("chart");
  if (!element || typeof uPlot === "undefined") {
    return;
  }
  var palette = ["#2f7d32", "#c62828", "#ef6c00", "#6a1b9a", "#1565c0", "#00838f", "#5d4037", "#ad1457"];
  fetch(element.dataset.source, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (response) { return response.json(); })
    .then(function (chart) {
      var names = Object.keys(chart.series);
      var data = [chart.minutes].concat(names.map(function (name) { return chart.series[name]; }));
      var series = [{}].concat(names.map(function (name, i) {
        return {label: name, stroke: name.indexOf("accept") === 0 ? "#2f7d32" : palette[(i % (palette.length - 1)) + 1], width: 1.5};
      }));
      if (names.length === 0) {
        element.textContent = "No recipients in this period.";
        return;
      }
      new uPlot({width: element.clientWidth || 800, height: 260, series: series,
                 axes: [{}, {label: "recipients / minute"}], scales: {x: {time: true}}}, data, element);
    })
    .catch(function () { element.textContent = "The chart could not be loaded."; });
})();
