/* The dashboard's charts (templates/portal/dashboard.html), drawn with the vendored Chart.js from the numbers the
   server put in <script type="application/json" id="dashboard-charts">: the same numbers as the table under each
   chart, which is what screen readers and browsers without JavaScript read. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#0f3d73", "#2e7d4f", "#c77c11", "#b3261e"];

  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var spec = data[box.getAttribute("data-chart")];
    if (!spec || !spec.labels.length) {
      return;
    }
    box.hidden = false;
    var type = box.getAttribute("data-chart-type") || "bar";
    new window.Chart(box.querySelector("canvas"), {
      type: type,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, i) {
          var colour = palette[i % palette.length];
          return { label: series.label, data: series.data, backgroundColor: colour, borderColor: colour,
                   tension: 0.2 };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  });
}());
