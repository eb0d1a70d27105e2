// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID"> (json_script):
// {type: "bar"|"line", labels: [...], series: [{label, data}], unit?: "%"}.
// No inline script: the page's data travels as JSON, the code as this static file.
(function () {
  var palette = ["#2f5bea", "#12805c", "#b54708", "#7a5af8", "#c4320a"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) return;
    var spec = JSON.parse(source.textContent);
    var unit = spec.unit || "";
    new window.Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          var colour = palette[i % palette.length];
          return { label: s.label, data: s.data, backgroundColor: colour, borderColor: colour,
                   borderWidth: 2, pointRadius: spec.type === "line" ? 2 : 0, spanGaps: true };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: spec.series.length > 1, position: "bottom" } },
        scales: { y: { beginAtZero: spec.type === "bar",
                       ticks: { callback: function (v) { return v + unit; } } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
