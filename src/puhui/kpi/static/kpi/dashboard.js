/* 考核评估 dashboard charts (ECharts). Data comes from json_script elements; no inline script. */
(function () {
  "use strict";
  var charts = [];
  var COLORS = ["#0b6e4f", "#3a86ff", "#ff9f1c", "#8338ec"];

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function percentText(v, places) {
    return v === null || v === undefined || v === "" ? "—" : (parseFloat(v) * 100).toFixed(places) + "%";
  }

  function unitText(unit) {
    return function (v) {
      if (v === null || v === undefined || v === "") { return "—"; }
      if (unit === "percent") { return percentText(v, 1); }
      var n = parseFloat(v);
      if (unit === "yuan" && Math.abs(n) >= 1e8) { return (n / 1e8).toFixed(2) + " 亿"; }
      if (unit === "yuan" && Math.abs(n) >= 1e4) { return (n / 1e4).toFixed(2) + " 万"; }
      return n.toLocaleString("zh-CN");
    };
  }

  function showEmpty(el) {
    el.classList.add("kpi-chart-empty");
    el.textContent = el.dataset.empty || "";
  }

  function makeChart(el) {
    el.classList.remove("kpi-chart-empty");
    el.textContent = "";
    var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "canvas" });
    if (charts.indexOf(chart) < 0) { charts.push(chart); }
    return chart;
  }

  function drawTrend(el, data) {
    if (!data || !data.dates || data.dates.length === 0) {
      var old = echarts.getInstanceByDom(el);
      if (old) { charts.splice(charts.indexOf(old), 1); old.dispose(); }
      showEmpty(el);
      return;
    }
    var fmt = unitText(data.unit);
    var chart = makeChart(el);
    chart.setOption({
      animation: false,
      color: ["#0b6e4f", "#dc3545"],
      tooltip: { trigger: "axis", valueFormatter: fmt },
      legend: { data: [el.dataset.labelValue, el.dataset.labelTarget], top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: data.dates, boundaryGap: false },
      yAxis: { type: "value", axisLabel: { formatter: fmt }, scale: data.unit !== "percent" },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 4 }],
      series: [
        { name: el.dataset.labelValue, type: "line", showSymbol: data.dates.length < 60, data: data.values },
        { name: el.dataset.labelTarget, type: "line", step: "end", showSymbol: false,
          lineStyle: { type: "dashed" }, data: data.targets }
      ]
    }, true);
  }

  function drawBars(el, data) {
    if (!data || !data.names || data.names.length === 0) { showEmpty(el); return; }
    var chart = makeChart(el);
    var narrow = el.clientWidth < 500;
    chart.setOption({
      animation: false,
      color: COLORS,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return percentText(v, 1); } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: narrow || data.names.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", max: 1, axisLabel: { formatter: function (v) { return percentText(v, 0); } } },
      series: data.series.map(function (s) {
        return { name: s.code, type: "bar", data: s.values, barMaxWidth: 18 };
      })
    }, true);
  }

  function bindPicker(picker, el) {
    picker.addEventListener("change", function () {
      var url = picker.dataset.url + "?scope=" + encodeURIComponent(picker.dataset.scope) +
        "&indicator=" + encodeURIComponent(picker.value);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { drawTrend(el, data); });
    });
  }

  /* Print: each chart becomes an image of itself, so a printout shows it at the paper's width. */
  function beforePrint() {
    charts.forEach(function (chart) {
      var el = chart.getDom();
      var img = el.nextElementSibling && el.nextElementSibling.classList.contains("kpi-chart-print")
        ? el.nextElementSibling : document.createElement("img");
      img.className = "kpi-chart-print kpi-chart-printing";
      img.alt = "";
      img.src = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
      if (!img.parentNode) { el.parentNode.insertBefore(img, el.nextSibling); }
      el.classList.add("kpi-chart-printing");
    });
  }

  function afterPrint() {
    document.querySelectorAll(".kpi-chart-printing").forEach(function (el) {
      el.classList.remove("kpi-chart-printing");
    });
  }

  function init() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart=trend]").forEach(function (el) {
      drawTrend(el, readJson("kpi-trend-data"));
      var picker = document.querySelector("[data-trend-picker]");
      if (picker) { bindPicker(picker, el); }
    });
    document.querySelectorAll("[data-chart=bars]").forEach(function (el) {
      drawBars(el, readJson(el.dataset.source));
    });
    document.querySelectorAll("[data-action=print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 100);
    });
    window.addEventListener("beforeprint", beforePrint);
    window.addEventListener("afterprint", afterPrint);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
