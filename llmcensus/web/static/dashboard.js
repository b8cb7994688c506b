// Draws every chart of a page: each <div class="chart" data-figure="..."> holds one plotly figure as JSON.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div.chart[data-figure]").forEach(function (el) {
    var fig = JSON.parse(el.getAttribute("data-figure"));
    window.Plotly.newPlot(el, fig.data, fig.layout, {displaylogo: false, responsive: true});
  });
});
