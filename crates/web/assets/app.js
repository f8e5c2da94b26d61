// Qianglian pages: no inline scripts (CSP). Menu toggle at phone width, confirmations.
document.addEventListener("click", function (ev) {
  var t = ev.target.closest("[data-toggle]");
  if (t) {
    var el = document.getElementById(t.getAttribute("data-toggle"));
    if (el) el.classList.toggle("open");
  }
});
document.addEventListener("submit", function (ev) {
  var f = ev.target;
  var msg = f.getAttribute && f.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

// Indicator chart on the enterprise page (ECharts, vendored). The numbers are in the
// table below it too, so the page never waits on the chart.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("indicator-chart");
  if (!el || !window.echarts) return;
  var d = JSON.parse(el.getAttribute("data-chart"));
  var chart = window.echarts.init(el);
  chart.setOption({
    color: ["#1f4e8c", "#0f8a8a", "#b7791f"],
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 60, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: d.years.map(function (y) { return y + "年"; }) },
    yAxis: { type: "value", name: "万元" },
    series: d.series.map(function (s) { return { name: s.name, type: "line", data: s.data, smooth: false }; })
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
