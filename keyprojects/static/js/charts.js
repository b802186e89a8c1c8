// Dashboard charts. The numbers come from the page (json_script), the same ones its tables show.
// ECharts renders tooltips as HTML: every tooltip has a formatter here that escapes each text from data.
(function () {
  "use strict";
  if (!window.echarts) return;
  var escapeHtml = window.escapeHtml;
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  // The axis's value (a month, a unit's name) over one line per series: marker, name, value. Built as
  // elements, texts as text: ECharts' own p.marker is HTML with a style attribute, which the
  // Content-Security-Policy refuses; the marker's colour is set through the CSSOM, which it allows.
  function axisTooltip(params) {
    var rows = params.filter(function (p) { return p.value !== null && p.value !== undefined; });
    var tip = document.createElement("div");
    tip.append(params.length ? params[0].axisValueLabel : "");
    rows.forEach(function (p) {
      var marker = document.createElement("span");
      marker.className = "chart-marker";
      if (typeof p.color === "string") marker.style.backgroundColor = p.color;
      tip.append(document.createElement("br"), marker, p.seriesName + ": " + echarts.format.addCommas(p.value));
    });
    return tip;
  }
  var series = data("series-data");
  var box = document.getElementById("series-chart");
  if (series && box) {
    var chart = echarts.init(box, null, { renderer: "svg" });
    // Months whose reports are not all approved (series.approved) and running sums that include such a month
    // (series.final false) are drawn apart, lighter, dotted and hatched, under their own legend entries.
    var approved = series.approved || series.months.map(function () { return true; });
    var final = series.final || approved;
    var shown = function (i) { return i < series.through; };
    var cumColour = "#1a7f37", barColour = "#a4161a";
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", className: "chart-tooltip", formatter: axisTooltip },
      legend: { top: 0, data: series.names.concat(series.pending_names || []) },
      grid: { left: 70, right: 20, top: 60, bottom: 30 },
      xAxis: { type: "category", data: series.months },
      yAxis: { type: "value", name: series.unit },
      series: [
        { name: series.names[0], type: "line", data: series.planned_cum, lineStyle: { type: "dashed" } },
        { name: series.names[1], type: "line", itemStyle: { color: cumColour },
          data: series.completed_cum.map(function (v, i) { return shown(i) && final[i] ? v : null; }) },
        { name: series.names[2], type: "bar", itemStyle: { color: barColour },
          data: series.completed.map(function (v, i) { return approved[i] ? v : null; }) },
      ].concat(series.pending_names ? [
        // Starts at the last final point, so that the line runs on unbroken.
        { name: series.pending_names[0], type: "line", symbol: "emptyCircle",
          itemStyle: { color: cumColour, opacity: 0.6 }, lineStyle: { type: "dotted", width: 2, opacity: 0.6 },
          data: series.completed_cum.map(function (v, i) {
            return shown(i) && (!final[i] || (shown(i + 1) && !final[i + 1])) ? v : null;
          }) },
        // Overlaps the approved bars' place (one of the two is empty each month).
        { name: series.pending_names[1], type: "bar", barGap: "-100%",
          itemStyle: { color: "#e8b4b5", borderColor: barColour, borderType: "dashed", borderWidth: 1,
                       decal: { symbol: "rect", dashArrayX: [1, 0], dashArrayY: [2, 4], rotation: -Math.PI / 4, color: "rgba(164, 22, 26, 0.45)" } },
          data: series.completed.map(function (v, i) { return approved[i] ? null : v; }) },
      ] : []),
    });
    window.addEventListener("resize", function () { chart.resize(); });
    box.dataset.ready = "1";
  }
  var ranking = data("ranking-data");
  var rbox = document.getElementById("ranking-chart");
  if (ranking && rbox) {
    var rchart = echarts.init(rbox, null, { renderer: "svg" });
    rchart.setOption({
      animation: false,
      tooltip: { trigger: "axis", className: "chart-tooltip", formatter: axisTooltip },
      grid: { left: 110, right: 30, top: 10, bottom: 30 },
      xAxis: { type: "value", name: "%", min: function (v) { return Math.max(0, Math.floor(v.min / 10) * 10); } },
      yAxis: { type: "category", data: ranking.units.slice().reverse() },
      series: [{ name: ranking.name, type: "bar", data: ranking.rates.slice().reverse(), itemStyle: { color: "#a4161a" },
                 label: { show: true, position: "right", formatter: function (p) { return p.value.toFixed(2) + "%"; } } }],
    });
    window.addEventListener("resize", function () { rchart.resize(); });
    rbox.dataset.ready = "1";
  }
  var ms = data("milestone-data");
  var mbox = document.getElementById("milestone-chart");
  if (ms && mbox) {
    var mchart = echarts.init(mbox, null, { renderer: "svg" });
    var symbols = ["diamond", "circle", "rect"];
    var colours = ["#8a939d", "#0b4f9c", "#1a7f37"];
    // On a phone the names wrap in a narrower column, each row gets the height of two lines and fewer dates
    // are marked, so that no label prints over another; the legend goes below the dates, "today" above them.
    var milestoneOption = function (narrow) {
      return {
        animation: false,
        tooltip: { trigger: "item", className: "chart-tooltip", formatter: function (p) {
          return escapeHtml(p.seriesName) + "<br>" + escapeHtml(ms.names[p.value[1]]) + ": " + escapeHtml(p.value[0]);
        } },
        legend: { bottom: 0, type: "scroll", data: ms.series.map(function (s) { return s.name; }) },
        grid: { left: narrow ? 136 : 150, right: 24, top: 30, bottom: 56 },
        // A margin on either side of the dates: the first and last milestones' marks are drawn whole.
        xAxis: { type: "time", splitNumber: narrow ? 3 : 6, axisLabel: { hideOverlap: true },
                 min: function (v) { return v.min - Math.max((v.max - v.min) * 0.04, 864e5); },
                 max: function (v) { return v.max + Math.max((v.max - v.min) * 0.04, 864e5); } },
        yAxis: { type: "category", data: ms.names, inverse: true,
                 axisLabel: narrow ? { width: 124, overflow: "break", lineHeight: 14 } : {} },
        series: ms.series.map(function (s, i) {
          return {
            name: s.name, type: "scatter", symbol: symbols[i], symbolSize: 11, itemStyle: { color: colours[i] },
            data: s.dates.map(function (d, row) { return d ? [d, row] : null; }).filter(Boolean),
            markLine: i === 0 ? { symbol: "none", silent: true, label: { formatter: ms.today_label, position: "start" },
                                  lineStyle: { color: "#a4161a", type: "dashed" }, data: [{ xAxis: ms.today }] } : undefined,
          };
        }),
      };
    };
    var layoutMilestones = function () {
      var narrow = mbox.clientWidth < 560;
      mbox.style.height = narrow ? Math.max(360, ms.names.length * 46 + 86) + "px" : "";
      mchart.resize();
      mchart.setOption(milestoneOption(narrow));
    };
    layoutMilestones();
    window.addEventListener("resize", layoutMilestones);
    mbox.dataset.ready = "1";
  }
})();
