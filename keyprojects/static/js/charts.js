// Dashboard charts. The numbers come from the page (json_script), the same ones its tables show.
(function () {
  "use strict";
  if (!window.echarts) return;
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var series = data("series-data");
  var box = document.getElementById("series-chart");
  if (series && box) {
    var chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: series.names },
      grid: { left: 70, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: series.months },
      yAxis: { type: "value", name: series.unit },
      series: [
        { name: series.names[0], type: "line", data: series.planned_cum, lineStyle: { type: "dashed" } },
        { name: series.names[1], type: "line", data: series.completed_cum.map(function (v, i) { return i < series.through ? v : null; }) },
        { name: series.names[2], type: "bar", data: series.completed, itemStyle: { color: "#a4161a" } },
      ],
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
      tooltip: { trigger: "axis" },
      grid: { left: 110, right: 30, top: 10, bottom: 30 },
      xAxis: { type: "value", name: "%", min: function (v) { return Math.max(0, Math.floor(v.min / 10) * 10); } },
      yAxis: { type: "category", data: ranking.units.slice().reverse() },
      series: [{ name: ranking.name, type: "bar", data: ranking.rates.slice().reverse(), itemStyle: { color: "#a4161a" },
                 label: { show: true, position: "right", formatter: function (p) { return p.value.toFixed(2) + "%"; } } }],
    });
    window.addEventListener("resize", function () { rchart.resize(); });
    rbox.dataset.ready = "1";
  }
})();
