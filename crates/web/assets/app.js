// Qianglian pages: no inline scripts (CSP). Menu toggle at phone width, confirmations.
document.addEventListener("click", function (ev) {
  var t = ev.target.closest("[data-toggle]");
  if (t) {
    var el = document.getElementById(t.getAttribute("data-toggle"));
    if (el) el.classList.toggle("open");
  }
  // A picked value fills a field (the product picker of the mapping review).
  var f = ev.target.closest("[data-fill]");
  if (f) {
    var input = document.getElementById(f.getAttribute("data-fill"));
    if (input) { input.value = f.getAttribute("data-value"); input.focus(); }
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

// Contributions of an enterprise's latest evaluation (enterprise page): one horizontal bar
// per indicator. The same numbers are in the table below it.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("contribution-chart");
  if (!el || !window.echarts) return;
  var d = JSON.parse(el.getAttribute("data-chart"));
  el.style.height = Math.max(160, d.names.length * 36 + 50) + "px";
  var chart = window.echarts.init(el);
  chart.setOption({
    color: ["#1f4e8c"],
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 56, top: 10, bottom: 24, containLabel: true },
    xAxis: { type: "value", name: "贡献", nameLocation: "end" },
    yAxis: { type: "category", inverse: true, data: d.names, axisLabel: { width: 110, overflow: "truncate" } },
    series: [{
      type: "bar", data: d.values, barMaxWidth: 22,
      label: { show: true, position: "right", formatter: function (p) { return Number(p.value).toFixed(4); } }
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});

// Chain map: stages as columns, segments coloured by strength, counts on nodes; zoom and
// pan (roam); a click scrolls to the segment's row; region and role filters dim segments
// without matching enterprises; the toolbox saves a PNG.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("chain-map");
  if (!el || !window.echarts) return;
  var g = JSON.parse(el.getAttribute("data-graph"));
  var colour = { strong: "#1b7f3b", weak: "#b7791f", missing: "#c0392b" };
  var chart = window.echarts.init(el);
  function filters() {
    var f = {};
    document.querySelectorAll("[data-map-filter]").forEach(function (s) { f[s.getAttribute("data-map-filter")] = s.value; });
    return f;
  }
  function draw() {
    var f = filters();
    // Three columns must fit the chart's width: narrower boxes and type on a phone.
    var boxW = Math.max(72, Math.min(132, el.clientWidth / 3 - 12));
    var narrow = boxW < 120;
    var nodes = g.nodes.map(function (n) {
      var hit = (!f.region || n.regions.indexOf(f.region) >= 0) && (!f.role || n.roles.indexOf(f.role) >= 0);
      return {
        id: n.id, name: n.name, x: n.x, y: n.y, value: n.count,
        symbol: "roundRect", symbolSize: [boxW, narrow ? 24 : 34],
        itemStyle: { color: colour[n.strength] || "#888", opacity: hit ? 1 : 0.25 },
        label: { show: true, color: "#fff", fontSize: narrow ? 10 : 12, formatter: n.name + "（" + n.count + "）", width: boxW - 8, overflow: "truncate" },
        tooltip: { formatter: n.stage + " · " + n.name + "<br>本地企业 " + n.count + " 家 · " + n.strength_label }
      };
    });
    chart.setOption({
      tooltip: {},
      toolbox: { right: 10, feature: { saveAsImage: { title: "保存图片", name: "产业链图谱" }, restore: { title: "还原" } } },
      graphic: ["上游", "中游", "下游"].map(function (t, i) {
        return { type: "text", left: (8 + i * 33) + "%", top: 8, style: { text: t, fontSize: 14, fontWeight: "bold", fill: "#555" } };
      }),
      series: [{
        type: "graph", layout: "none", roam: true, draggable: false, top: 40,
        // Node centres are fitted to the box: leave half a node's width on each side.
        left: boxW / 2 + 6, right: boxW / 2 + 6,
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 7,
        lineStyle: { color: "#9aa7b8", curveness: 0.15, opacity: 0.8 },
        data: nodes,
        links: g.links.map(function (l) { return { source: l.source, target: l.target, tooltip: { formatter: l.product || "" } }; })
      }]
    }, true);
  }
  draw();
  chart.on("click", function (p) {
    if (p.dataType !== "node") return;
    var row = document.getElementById("seg-" + p.data.id);
    if (row) { row.scrollIntoView({ behavior: "smooth", block: "center" }); row.classList.add("flash"); }
  });
  document.querySelectorAll("[data-map-filter]").forEach(function (s) { s.addEventListener("change", draw); });
  window.addEventListener("resize", function () { chart.resize(); draw(); });
});

// Stage funnel of the project scheduling page: one bar per stage, in lifecycle order, in the
// stage colours used across the product. The same numbers are in the table below it.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("stage-funnel");
  if (!el || !window.echarts) return;
  var d = JSON.parse(el.getAttribute("data-chart"));
  var colour = {
    planning: "#8a94a6", signed: "#6a4c93", approval: "#0f8a8a", started: "#1f4e8c",
    building: "#163a69", completed: "#2f7d32", operating: "#1b7f3b", terminated: "#c0392b"
  };
  var chart = window.echarts.init(el);
  chart.setOption({
    tooltip: {
      trigger: "axis", axisPointer: { type: "shadow" },
      formatter: function (ps) {
        var i = ps[0].dataIndex;
        return d.labels[i] + "：" + d.counts[i] + " 个，总投资 " + d.totals[i] + " 万元";
      }
    },
    grid: { left: 8, right: 48, top: 10, bottom: 10, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: d.labels },
    series: [{
      type: "bar", barMaxWidth: 24, label: { show: true, position: "right" },
      data: d.counts.map(function (c, i) { return { value: c, itemStyle: { color: colour[d.stages[i]] || "#1f4e8c" } }; })
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
