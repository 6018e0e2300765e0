// The regulator's collection chart: two bar charts in one canvas, by district and by month, in yuan.
// On a narrow screen the district labels stand upright (90°), so fifteen of them fit side by side
// without overlapping; wider, they lean at 30°.
function drawCollectionChart(element, data) {
  var yuan = function (rows) { return rows.map(function (r) { return r.amount_fen / 100; }); };
  var narrow = element.clientWidth < 600;
  var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, {renderer: "canvas"});
  chart.setOption({
    animation: false, tooltip: {trigger: "axis"},
    grid: [{top: 40, height: narrow ? "24%" : "30%", left: 10, right: 10, containLabel: true},
           {bottom: 10, height: "28%", left: 10, right: 10, containLabel: true}],
    title: [{text: "按区县", textStyle: {fontSize: 13}}, {text: "按月", top: "56%", textStyle: {fontSize: 13}}],
    xAxis: [{gridIndex: 0, type: "category", data: data.by_district.map(function (r) { return r.label; }),
             axisLabel: {interval: 0, rotate: narrow ? 90 : 30, fontSize: 11, hideOverlap: false}},
            {gridIndex: 1, type: "category", data: data.by_month.map(function (r) { return r.label; }),
             axisLabel: {hideOverlap: true, fontSize: 11}}],
    yAxis: [{gridIndex: 0, type: "value", name: "元"}, {gridIndex: 1, type: "value", name: "元"}],
    series: [{type: "bar", name: "入库金额", xAxisIndex: 0, yAxisIndex: 0, data: yuan(data.by_district), itemStyle: {color: "#8b0000"}},
             {type: "bar", name: "入库金额", xAxisIndex: 1, yAxisIndex: 1, data: yuan(data.by_month), itemStyle: {color: "#0b4fa8"}}]
  }, true);
  return chart;
}
