/* greenfin pages: draw every chart from the JSON script tag named by its container.
 *
 * <div class="chart" data-chart="ID-data"></div>
 * <script type="application/json" id="ID-data">{"kind": "pie" | "line" | "stacked" | "trend", ...}</script>
 *
 * The figures and their names come from the server (already translated); this file only
 * turns them into ECharts options. Charts are drawn with the SVG renderer, redrawn on
 * resize, and drawn again when htmx swaps in new content.
 */
(function () {
  "use strict";

  var FONT = getComputedStyle(document.documentElement).fontFamily;
  var grouping = new Intl.NumberFormat(document.documentElement.lang || "zh-CN", { maximumFractionDigits: 2 });

  function fmt(value) { return value == null ? "—" : grouping.format(value); }

  function axisTooltip(unit) {
    return {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      valueFormatter: function (value) { return fmt(value) + (unit ? " " + unit : ""); },
    };
  }

  var builders = {
    pie: function (data, width) {
      return {
        color: data.colors,
        tooltip: { trigger: "item", valueFormatter: function (v) { return fmt(v) + " " + data.unit; } },
        legend: { type: "scroll", bottom: 0 },
        series: [{
          type: "pie", radius: ["38%", "68%"], center: ["50%", "45%"], avoidLabelOverlap: true,
          label: { show: width > 420, formatter: "{d}%" }, data: data.items,
        }],
      };
    },
    line: function (data) {
      return {
        tooltip: axisTooltip(data.unit),
        grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.categories, boundaryGap: false },
        yAxis: { type: "value", name: data.unit, axisLabel: { formatter: fmt } },
        series: data.series.map(function (s) {
          return { type: "line", name: s.name, data: s.data, smooth: true, color: s.color, areaStyle: { opacity: 0.12 } };
        }),
      };
    },
    stacked: function (data) {
      var category = { type: "category", data: data.categories, axisLabel: { interval: 0, hideOverlap: true } };
      if (data.horizontal) { category.axisLabel = { interval: 0, width: 150, overflow: "truncate" }; }
      var value = { type: "value", minInterval: 1 };
      return {
        tooltip: axisTooltip(""),
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        xAxis: data.horizontal ? value : category,
        yAxis: data.horizontal ? Object.assign(category, { inverse: true }) : value,
        series: data.series.map(function (s) {
          return { type: "bar", stack: "labels", name: s.name, data: s.data, color: s.color, barMaxWidth: 36 };
        }),
      };
    },
    trend: function (data) {
      var option = builders.stacked(Object.assign({}, data, { horizontal: false }));
      option.yAxis = [{ type: "value", minInterval: 1 }, { type: "value", name: data.line.unit, axisLabel: { formatter: fmt }, splitLine: { show: false } }];
      option.series.push({ type: "line", name: data.line.name, yAxisIndex: 1, data: data.line.data, color: data.line.color, symbolSize: 8 });
      option.tooltip = { trigger: "axis" };
      return option;
    },
  };

  function draw(root) {
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var build = builders[data.kind];
      if (!build) { return; }
      if (data.horizontal) { el.style.height = Math.max(220, 44 * data.categories.length + 70) + "px"; }
      var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "svg" });
      var option = build(data, el.clientWidth);
      option.textStyle = { fontFamily: FONT };
      option.animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      chart.setOption(option, true);
      el.setAttribute("data-rendered", "true");
    });
  }

  function resizeAll() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = typeof echarts !== "undefined" && echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  }

  function start() {
    if (!document.querySelector("[data-chart]")) { return; }
    if (typeof echarts !== "undefined") { draw(document); return; }
    // ECharts is large (1 MB): only pages with charts load it, from this site.
    var meta = document.querySelector("meta[name=echarts-src]");
    if (!meta) { return; }
    var script = document.createElement("script");
    script.src = meta.content;
    script.onload = function () { draw(document); };
    document.head.appendChild(script);
  }

  // The consent form's bank list: choosing a bank fills the hidden code and shows the name chosen.
  document.addEventListener("click", function (event) {
    var option = event.target.closest ? event.target.closest(".bank-option") : null;
    if (!option) { return; }
    var code = document.getElementById("bank_code");
    var query = document.getElementById("bank_query");
    var chosen = document.getElementById("bank-chosen");
    if (code) { code.value = option.getAttribute("data-code"); }
    if (query) { query.value = option.querySelector(".bank-option-name").textContent; }
    if (chosen) { chosen.textContent = chosen.getAttribute("data-template").replace("{bank}", option.getAttribute("data-label")); }
    option.parentNode.innerHTML = "";
  });
  // Typing again after a choice clears it, so a half-edited name never grants the earlier bank.
  document.addEventListener("input", function (event) {
    if (event.target.id !== "bank_query") { return; }
    var code = document.getElementById("bank_code");
    var chosen = document.getElementById("bank-chosen");
    if (code) { code.value = ""; }
    if (chosen) { chosen.textContent = ""; }
  });

  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
  var timer;
  window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(resizeAll, 120); });
})();
