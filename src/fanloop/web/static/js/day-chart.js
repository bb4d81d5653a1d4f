/* Charts of figures per day (uPlot), as the KPI, growth and campaign pages draw them.
   Each day's x value is UTC midnight of that date, so the axis is labelled in UTC to show the
   date itself. A page gives the chart's element (its data-labels attribute holds the translated
   labels, "day" among them), the element holding the data as JSON ({"x": [...], ...}), and a
   function that turns them into uPlot series:

     fanloopDayChart("kpi-chart", "kpi-chart-data", function (c) {
       return { series: [{ label: c.labels.median, stroke: c.color("--primary") }], values: [c.data.median] };
     });

   The function gets {data, labels, color(cssVariable), muted, grid, roomy} and returns {series,
   values} and, if it needs them, {scales, axes, height} (default: one y axis from 0). */
(function () {
  "use strict";
  var DAY = 86400;

  window.fanloopDayChart = function (holderId, dataId, build) {
    var holder = document.getElementById(holderId);
    var source = document.getElementById(dataId);
    if (!holder || !source || typeof uPlot === "undefined") return null;
    var data = JSON.parse(source.textContent);
    if (!data.x || !data.x.length) return null;
    var labels = JSON.parse(holder.getAttribute("data-labels"));
    var css = getComputedStyle(document.documentElement);
    function color(name) { return css.getPropertyValue(name).trim(); }
    var muted = color("--text-muted"), grid = color("--border");
    var dayFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
      { month: "short", day: "numeric", timeZone: "UTC" });
    function day(ts) { return dayFormat.format(new Date(ts * 1000)); }

    var built = build({
      data: data, labels: labels, color: color, muted: muted, grid: grid,
      // Axis titles only where there is room for them (not on phones).
      roomy: holder.clientWidth >= 480,
    });
    var height = built.height || 260;
    function size() { return { width: Math.max(holder.clientWidth, 260), height: height }; }
    var scales = Object.assign(
      { x: { time: true, range: function (u, lo, hi) { return [lo - DAY / 2, hi + DAY / 2]; } } },
      built.scales || { y: { range: function (u, lo, hi) { return [0, Math.max(hi || 0, 4) * 1.15]; } } }
    );
    var options = Object.assign(size(), {
      // Ticks fall on midnight of the zone given here; the x values are UTC midnights.
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: scales,
      series: [{ label: labels.day, value: function (u, ts) { return ts == null ? "–" : day(ts); } }]
        .concat(built.series),
      axes: [
        { stroke: muted, grid: { stroke: grid }, ticks: { stroke: grid }, space: 40,
          incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY],
          values: function (u, splits) { return splits.map(day); } },
      ].concat(built.axes || [{ stroke: muted, grid: { stroke: grid }, ticks: { stroke: grid } }]),
    });
    var chart = new uPlot(options, [data.x].concat(built.values), holder);
    if (window.ResizeObserver) {
      new ResizeObserver(function () { chart.setSize(size()); }).observe(holder);
    }
    return chart;
  };
})();
