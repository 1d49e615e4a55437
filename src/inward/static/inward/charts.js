// The analytics charts: ECharts (vendored) draws what the server passes with json_script.
// Every chart sits in an element with role="img", an aria-label and data-chart="<id of
// the JSON>"; the same numbers are always in a table next to it. Hidden counts arrive as
// null and are drawn as nothing (the label says "fewer than N"). Redrawn when the theme
// changes, when htmx swaps content in, and when the window is resized (the layout depends
// on the width: the legend's rows, the heat map's column headings, the label widths).
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
      // ECharts measures labels with this font to lay them out: "inherit" would measure in
      // the canvas default font and clip the longer labels drawn in the page's font.
      font: getComputedStyle(document.body).fontFamily || "sans-serif",
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
      textStyle: { color: c.text, fontFamily: c.font },
      aria: { enabled: false }
    };
  }

  // Roughly how wide a label of `text` is at `size` pixels (for layout guesses only).
  function textWidth(text, size) {
    return String(text).length * size * 0.6;
  }

  function funnel(data, c) {
    var option = base(c);
    option.grid = { left: 8, right: 120, top: 8, bottom: 8, containLabel: true };
    option.xAxis = { type: "value", show: false, min: 0, max: data.values[0] || null };
    option.yAxis = {
      type: "category", inverse: true, data: data.categories,
      axisLine: { show: false }, axisTick: { show: false }, axisLabel: { color: c.text, fontFamily: c.font }
    };
    option.series = [{
      type: "bar",
      data: data.values.map(function (v) { return v === null ? 0 : v; }),
      barMaxWidth: 28,
      itemStyle: { color: c.series[0], borderRadius: [0, 4, 4, 0] },
      label: {
        show: true, position: "right", color: c.text, fontFamily: c.font,
        formatter: function (p) { return data.labels[p.dataIndex]; }
      }
    }];
    return option;
  }

  // The legend wraps onto more rows on a narrow screen: the plot starts below its last row,
  // so no legend entry covers the axis's top label.
  function legendRows(names, width) {
    var rows = 1, used = 0;
    names.forEach(function (name) {
      var item = 25 + textWidth(name, 12) + 10;  // symbol, gap, text, gap to the next
      if (used > 0 && used + item > width - 16) { rows += 1; used = 0; }
      used += item;
    });
    return rows;
  }

  function lines(data, c, width) {
    var option = base(c);
    var names = data.series.map(function (s) { return s.name; });
    option.color = c.series;
    option.grid = { left: 24, right: 32, top: 24 * legendRows(names, width) + 20, bottom: 8, containLabel: true };
    option.legend = { top: 0, left: "center", itemGap: 10, textStyle: { color: c.text, fontFamily: c.font } };
    option.tooltip = { trigger: "axis" };
    option.xAxis = {
      type: "category", data: data.days, boundaryGap: false,
      axisLabel: { color: c.muted, fontFamily: c.font, hideOverlap: true }, axisLine: { lineStyle: { color: c.grid } }
    };
    option.yAxis = {
      type: "value", minInterval: 1,
      axisLabel: { color: c.muted, fontFamily: c.font }, splitLine: { lineStyle: { color: c.grid } }
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

  // Every column gets its heading (interval 0), tilted when the columns are narrower than
  // the longest heading; row names longer than a third of the width end in "…" (the table
  // under the chart has them in full).
  function heatmapLayout(data, width) {
    var rowLabel = Math.min(Math.max.apply(null, data.rows.map(function (r) { return textWidth(r, 12); }).concat([40])),
      Math.max(80, width / 3));
    var column = (width - rowLabel - 32) / Math.max(1, data.columns.length);
    var widest = Math.max.apply(null, data.columns.map(function (h) { return textWidth(h, 12); }).concat([0]));
    return { rowLabel: rowLabel, tilt: widest + 8 > column };
  }

  function heatmap(data, c, width) {
    var option = base(c);
    var layout = heatmapLayout(data, width);
    option.grid = { left: 8, right: 16, top: 8, bottom: 8, containLabel: true };
    option.xAxis = {
      type: "category", data: data.columns, position: "top",
      axisLabel: { color: c.text, fontFamily: c.font, interval: 0, rotate: layout.tilt ? 40 : 0 },
      axisLine: { show: false }, axisTick: { show: false }
    };
    option.yAxis = {
      type: "category", data: data.rows, inverse: true,
      axisLabel: { color: c.text, fontFamily: c.font, width: layout.rowLabel, overflow: "truncate" },
      axisLine: { show: false }, axisTick: { show: false }
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
    var width = element.clientWidth || 600;
    if (data.kind === "heatmap") {
      // A row per group: the box grows with the number of groups, and with the tilted
      // column headings (CSSOM, allowed by CSP).
      var extra = heatmapLayout(data, width).tilt ? 40 : 0;
      element.style.height = Math.max(160, data.rows.length * 44 + 56 + extra) + "px";
    }
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(build(data, colours(), width));
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
    var lastWidth = window.innerWidth;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        // Redrawn, not only resized, when the width changes: the layout follows it.
        if (window.innerWidth !== lastWidth) {
          lastWidth = window.innerWidth;
          drawAll(document);
        } else {
          drawn.forEach(function (chart) { if (!chart.isDisposed()) { chart.resize(); } });
        }
      }, 150);
    });
  });
})();
