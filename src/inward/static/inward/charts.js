// The analytics charts: ECharts (vendored) draws what the server passes with json_script.
// Every chart sits in an element with role="img", an aria-label and data-chart="<id of
// the JSON>"; the same numbers are always in a table next to it. Hidden counts arrive as
// null and are drawn as nothing (the label says "fewer than N"). Redrawn when the theme
// changes, when htmx swaps content in, and when the window is resized.
(function () {
  "use strict";
  var root = document.documentElement;
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.body).getPropertyValue(name).trim();
    return value || fallback;
  }

  function colours() {
    var dark = root.getAttribute("data-bs-theme") === "dark";
    return {
      dark: dark,
      text: cssVar("--bs-body-color", dark ? "#dee2e6" : "#212529"),
      muted: cssVar("--bs-secondary-color", dark ? "#adb5bd" : "#6c757d"),
      grid: cssVar("--bs-border-color", dark ? "#495057" : "#dee2e6"),
      background: cssVar("--bs-body-bg", dark ? "#212529" : "#ffffff"),
      hidden: dark ? "#3a3f44" : "#e9ecef",
      low: dark ? "#1c2b3a" : "#e7f0fa",
      high: dark ? "#6ea8fe" : "#1f5a99",
      series: dark
        ? ["#6ea8fe", "#75b798", "#ffda6a", "#ea868f", "#c29ffa"]
        : ["#1f5a99", "#2e7d4f", "#9a6700", "#b02a37", "#6f42c1"]
    };
  }

  function base(c) {
    return {
      animation: !reducedMotion,
      backgroundColor: "transparent",
      textStyle: { color: c.text, fontFamily: "inherit" },
      aria: { enabled: false }
    };
  }

  function funnel(data, c) {
    var option = base(c);
    option.grid = { left: 8, right: 120, top: 8, bottom: 8, containLabel: true };
    option.xAxis = { type: "value", show: false, min: 0, max: data.values[0] || null };
    option.yAxis = {
      type: "category", inverse: true, data: data.categories,
      axisLine: { show: false }, axisTick: { show: false }, axisLabel: { color: c.text }
    };
    option.series = [{
      type: "bar",
      data: data.values.map(function (v) { return v === null ? 0 : v; }),
      barMaxWidth: 28,
      itemStyle: { color: c.series[0], borderRadius: [0, 4, 4, 0] },
      label: {
        show: true, position: "right", color: c.text,
        formatter: function (p) { return data.labels[p.dataIndex]; }
      }
    }];
    return option;
  }

  function lines(data, c) {
    var option = base(c);
    option.color = c.series;
    option.grid = { left: 24, right: 32, top: 40, bottom: 8, containLabel: true };
    option.legend = { top: 0, textStyle: { color: c.text } };
    option.tooltip = { trigger: "axis" };
    option.xAxis = {
      type: "category", data: data.days, boundaryGap: false,
      axisLabel: { color: c.muted, hideOverlap: true }, axisLine: { lineStyle: { color: c.grid } }
    };
    option.yAxis = {
      type: "value", minInterval: 1,
      axisLabel: { color: c.muted }, splitLine: { lineStyle: { color: c.grid } }
    };
    option.series = data.series.map(function (s) {
      return { type: "line", name: s.name, data: s.values, showSymbol: false, connectNulls: false };
    });
    return option;
  }

  // The colour a share of the way from one "#rrggbb" to another.
  function mix(from, to, share) {
    var out = "#";
    for (var i = 1; i < 7; i += 2) {
      var a = parseInt(from.slice(i, i + 2), 16);
      var b = parseInt(to.slice(i, i + 2), 16);
      out += ("0" + Math.round(a + (b - a) * share).toString(16)).slice(-2);
    }
    return out;
  }

  function heatmap(data, c) {
    var option = base(c);
    option.grid = { left: 8, right: 16, top: 8, bottom: 8, containLabel: true };
    option.xAxis = {
      type: "category", data: data.columns, position: "top",
      axisLabel: { color: c.text }, axisLine: { show: false }, axisTick: { show: false }
    };
    option.yAxis = {
      type: "category", data: data.rows, inverse: true,
      axisLabel: { color: c.text }, axisLine: { show: false }, axisTick: { show: false }
    };
    option.series = [{
      type: "heatmap",
      data: data.cells.map(function (cell) {
        // Cells run from light to dark (dark to light in the dark theme); the label takes
        // whichever of white or near-black reads on its cell. Hidden cells are -1.
        var high = cell[2] >= 55;
        var darkCell = c.dark ? !high : high;
        return {
          value: [cell[0], cell[1], cell[2]],
          itemStyle: { color: cell[2] < 0 ? c.hidden : mix(c.low, c.high, cell[2] / 100) },
          label: { color: darkCell ? "#ffffff" : "#212529" }
        };
      }),
      itemStyle: { borderColor: c.background, borderWidth: 2 },
      label: { show: true, formatter: function (p) { return data.cells[p.dataIndex][3]; } }
    }];
    return option;
  }

  var builders = { funnel: funnel, lines: lines, heatmap: heatmap };
  var drawn = [];

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var build = builders[data.kind];
    if (!build) { return; }
    var existing = window.echarts.getInstanceByDom(element);
    if (existing) { existing.dispose(); }
    if (data.kind === "heatmap") {
      // A row per group: the box grows with the number of groups (CSSOM, allowed by CSP).
      element.style.height = Math.max(160, data.rows.length * 44 + 56) + "px";
    }
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(build(data, colours()));
    element.setAttribute("data-chart-ready", "true");
    drawn.push(chart);
  }

  function drawAll(scope) {
    drawn = drawn.filter(function (chart) { return !chart.isDisposed(); });
    (scope || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The printable report's "Print" button.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    drawAll(document);
    document.body.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
    // The theme toggle changes data-bs-theme: redraw in the new colours.
    new MutationObserver(function () { drawAll(document); })
      .observe(root, { attributes: true, attributeFilter: ["data-bs-theme"] });
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        drawn.forEach(function (chart) { if (!chart.isDisposed()) { chart.resize(); } });
      }, 150);
    });
  });
})();
