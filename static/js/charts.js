// Draws every server-built Plotly chart on the page. Each <div data-chart="ID"> names the
// <script type="application/json" id="ID"> holding its figure (data and layout) and the views
// its buttons switch to. The charts follow their box's width; Plotly's own tool bar and drag to
// zoom are off: the only controls are real buttons (keyboard and screen readers reach them), and
// a finger dragging over a chart on a phone scrolls the page.
(function () {
  "use strict";
  var config = { responsive: true, displaylogo: false, displayModeBar: false };
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source || typeof Plotly === "undefined") return;
    var figure = JSON.parse(source.textContent);
    var layout = Object.assign({}, figure.layout, { autosize: true, dragmode: false });
    delete layout.width;
    ["xaxis", "yaxis"].forEach(function (axis) {
      layout[axis] = Object.assign({}, layout[axis], { fixedrange: true });
    });
    Plotly.newPlot(element, figure.data, layout, config).then(function () {
      element.setAttribute("data-rendered", "true");
    });
    var buttons = document.querySelectorAll('[data-chart-switch="' + element.id + '"]');
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var view = figure.views[Number(button.dataset.view)];
        Plotly.update(element, { visible: view.visible }, view.layout);
        element.setAttribute("aria-label", view.name);
        buttons.forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
      });
    });
  });
})();
