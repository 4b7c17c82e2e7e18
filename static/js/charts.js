// Draws every server-built Plotly chart on the page. Each <div data-chart="ID"> names the
// <script type="application/json" id="ID"> holding its figure (data and layout) and the views
// its buttons switch to. The charts follow their box's width; Plotly's own tool bar and drag to
// zoom are off: the only controls are real buttons (keyboard and screen readers reach them), and
// a finger dragging over a chart on a phone scrolls the page.
//
// Plotly never wraps a title: a long one runs off a phone's screen. Here each title is wrapped
// to the width its chart is drawn at (again when that width changes), and the top margin grows
// to hold its lines.
(function () {
  "use strict";
  var config = { responsive: true, displaylogo: false, displayModeBar: false };
  var AVERAGE_CHARACTER = 0.56; // of the font size: a system sans-serif's mean advance, generously

  function wrap(text, size, width) {
    var most = Math.max(12, Math.floor(width / (size * AVERAGE_CHARACTER)));
    var lines = [];
    var line = "";
    String(text).replace(/<br>/g, " ").split(/\s+/).forEach(function (word) {
      if (!word) return;
      if (line && (line + " " + word).length > most) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) lines.push(line);
    return lines;
  }

  // The title wrapped for `width`, as a Plotly relayout; Plotly's title automargin makes room
  // above the plot for all its lines.
  function fitted(layout, title, width) {
    var size = (layout.title && layout.title.font && layout.title.font.size) || 16;
    return { "title.text": wrap(title, size, width - 24).join("<br>") };
  }

  var TITLE = { automargin: true, yref: "paper", y: 1, yanchor: "bottom", pad: { b: 14 } };

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source || typeof Plotly === "undefined") return;
    var figure = JSON.parse(source.textContent);
    var layout = Object.assign({}, figure.layout, { autosize: true, dragmode: false });
    delete layout.width;
    ["xaxis", "yaxis"].forEach(function (axis) {
      layout[axis] = Object.assign({}, layout[axis], { fixedrange: true });
    });
    var title = (layout.title && layout.title.text) || "";
    var width = element.clientWidth;
    layout.title = Object.assign({}, layout.title, TITLE, { text: fitted(layout, title, width)["title.text"] });
    layout.margin = Object.assign({}, layout.margin, { t: 16 });
    Plotly.newPlot(element, figure.data, layout, config).then(function () {
      element.setAttribute("data-rendered", "true");
    });
    // A new width (a phone turned, a window resized): the title wrapped again.
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver(function () {
        if (element.clientWidth && element.clientWidth !== width) {
          width = element.clientWidth;
          Plotly.relayout(element, fitted(figure.layout, title, width));
        }
      }).observe(element);
    }
    var buttons = document.querySelectorAll('[data-chart-switch="' + element.id + '"]');
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var view = figure.views[Number(button.dataset.view)];
        var changes = Object.assign({}, view.layout);
        if (changes["title.text"] !== undefined) {
          title = changes["title.text"];
          Object.assign(changes, fitted(figure.layout, title, element.clientWidth));
        }
        Plotly.update(element, { visible: view.visible }, changes);
        element.setAttribute("aria-label", view.name);
        buttons.forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
      });
    });
  });
})();
