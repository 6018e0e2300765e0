// The regulator's collection chart: two bar charts in one canvas, by district and by month, in yuan.
// The district labels lie flat when each has room for five characters, else stand upright (90°): all
// fifteen of Zhengzhou's fit side by side without overlapping, on a phone too (a slant would let long
// names run into each other). tests/portal/test_browser_defects.py checks it.
function drawCollectionChart(element, data) {
  var yuan = function (rows) { return rows.map(function (r) { return r.amount_fen / 100; }); };
  var perLabel = element.clientWidth / Math.max(data.by_district.length, 1);
  var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, {renderer: "canvas"});
  chart.setOption({
    animation: false, tooltip: {trigger: "axis"},
    grid: [{top: 40, height: "30%", left: 10, right: 10, containLabel: true},
           {bottom: 10, height: "26%", left: 10, right: 10, containLabel: true}],
    title: [{text: "按区县", textStyle: {fontSize: 13}}, {text: "按月", top: "60%", textStyle: {fontSize: 13}}],
    xAxis: [{gridIndex: 0, type: "category", data: data.by_district.map(function (r) { return r.label; }),
             axisLabel: {interval: 0, rotate: perLabel < 64 ? 90 : 0, fontSize: 11, hideOverlap: false}},
            {gridIndex: 1, type: "category", data: data.by_month.map(function (r) { return r.label; }),
             axisLabel: {hideOverlap: true, fontSize: 11}}],
    yAxis: [{gridIndex: 0, type: "value", name: "元"}, {gridIndex: 1, type: "value", name: "元"}],
    series: [{type: "bar", name: "入库金额", xAxisIndex: 0, yAxisIndex: 0, data: yuan(data.by_district), itemStyle: {color: "#8b0000"}},
             {type: "bar", name: "入库金额", xAxisIndex: 1, yAxisIndex: 1, data: yuan(data.by_month), itemStyle: {color: "#0b4fa8"}}]
  }, true);
  return chart;
}

// On the regulator's home page: draw from the page's JSON block (no inline script: the CSP allows none).
(function () {
  var element = document.getElementById("collection-chart");
  var data = document.getElementById("collection-data");
  if (!element || !data) return;
  var chart = drawCollectionChart(element, JSON.parse(data.textContent));
  window.addEventListener("resize", function () { chart.resize(); });
})();
