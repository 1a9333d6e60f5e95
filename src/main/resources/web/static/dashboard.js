// The dashboard's chart: recipients per minute by verdict and reason, drawn with uPlot from
// /dashboard/chart. No inline script (the console's Content-Security-Policy forbids it).
"use strict";
(function () {
  var element = document.getElementById("chart");
  if (!element || typeof uPlot === "undefined") {
    return;
  }
  // greens for accepted, reds for refused, oranges for temporary refusals, purples for what observe
  // mode accepted but verification would have refused (would_reject); one shade per reason
  var shades = {accept: ["#2f7d32", "#66bb6a", "#1b5e20", "#9ccc65"],
                reject: ["#c62828", "#ad1457", "#e57373", "#6a1b9a", "#8d6e63", "#d81b60"],
                tempfail: ["#ef6c00", "#f9a825", "#ff8a65"],
                would_reject: ["#7b1fa2", "#9575cd", "#4a148c"]};
  var used = {accept: 0, reject: 0, tempfail: 0, would_reject: 0};
  function colour(name) {
    var verdict = name.split(":")[0];
    var list = shades[verdict] || ["#1565c0"];
    var n = used[verdict] || 0;
    used[verdict] = n + 1;
    return list[n % list.length];
  }
  fetch(element.dataset.source, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (response) { return response.json(); })
    .then(function (chart) {
      var names = Object.keys(chart.series);
      var data = [chart.minutes].concat(names.map(function (name) { return chart.series[name]; }));
      var series = [{}].concat(names.map(function (name) {
        return {label: name, stroke: colour(name), width: 1.5};
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
