// Program health charts, drawn from the numbers the page passes with json_script (no inline script).
(() => {
  const source = document.getElementById("health-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);

  // Dissatisfaction 1 -> 5, light -> dark: ColorBrewer YlOrRd, a single sequential ramp that
  // colour-blind readers and greyscale prints still read in order (the page's bars use the same).
  const LEVEL_COLOURS = { 1: "#fed976", 2: "#feb24c", 3: "#fd8d3c", 4: "#e31a1c", 5: "#800026" };
  // Okabe-Ito, for lines and bars that are not levels.
  const BLUE = "#0072b2";
  const ORANGE = "#e69f00";
  const GREEN = "#009e73";
  const VERMILION = "#d55e00";
  const PURPLE = "#cc79a7";
  const SKY = "#56b4e9";

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#495057";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.legend.position = "bottom";

  // On a phone the week labels ("08 Dec 2025") would run into each other: a narrow chart
  // shows three of them, as month and year ("Dec 2025"). Decided from the chart's own width,
  // again whenever it is resized, so turning the phone or resizing the window redraws it right.
  const NARROW_CHART = 480;
  const tickLimit = (width) => (width < NARROW_CHART ? 3 : 8);
  const shortWeek = (label) => String(label).replace(/^\d{1,2}\s+/, "");
  Chart.defaults.onResize = (chart, size) => {
    const ticks = chart.options.scales.x && chart.options.scales.x.ticks;
    if (ticks) {
      ticks.maxTicksLimit = tickLimit(size.width);
    }
  };
  const xAxis = () => ({
    grid: { display: false },
    ticks: {
      autoSkip: true,
      autoSkipPadding: 12,
      maxRotation: 0,
      maxTicksLimit: tickLimit(window.innerWidth),
      callback(value) {
        const label = this.getLabelForValue(value);
        return this.chart.width < NARROW_CHART ? shortWeek(label) : label;
      },
    },
  });
  const line = (label, values, colour, extra = {}) => ({
    type: "line",
    label,
    data: values,
    borderColor: colour,
    backgroundColor: colour,
    borderWidth: 2,
    pointRadius: 0,
    pointHitRadius: 6,
    spanGaps: true,
    tension: 0.25,
    ...extra,
  });
  const bar = (label, values, colour, extra = {}) => ({
    type: "bar",
    label,
    data: values,
    backgroundColor: colour,
    borderColor: colour,
    ...extra,
  });

  const charts = {
    levels: () => ({
      type: "bar",
      data: {
        labels: data.labels,
        datasets: ["1", "2", "3", "4", "5"].map((n) =>
          bar(`${n} · ${data.level_names[n]}`, data.levels[n], LEVEL_COLOURS[n], {
            borderColor: "#ffffff",
            borderWidth: { top: 1 },
          }),
        ),
      },
      options: {
        scales: {
          x: { ...xAxis(), stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "issues" } },
        },
        interaction: { mode: "index", intersect: false },
      },
    }),
    outreach: () => ({
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          line("Median", data.outreach_median, BLUE),
          line("90th percentile", data.outreach_p90, ORANGE, { borderDash: [6, 4] }),
        ],
      },
      options: {
        scales: { x: xAxis(), y: { beginAtZero: true, title: { display: true, text: "hours" } } },
        interaction: { mode: "index", intersect: false },
      },
    }),
    resolution: () => ({
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          line("Resolved (%)", data.resolution_rate, GREEN, { yAxisID: "rate" }),
          line("Median hours", data.resolution_median, BLUE, { yAxisID: "hours" }),
          line("90th percentile hours", data.resolution_p90, ORANGE, { yAxisID: "hours", borderDash: [6, 4] }),
        ],
      },
      options: {
        scales: {
          x: xAxis(),
          rate: { position: "left", min: 0, max: 100, title: { display: true, text: "% resolved" } },
          hours: { position: "right", beginAtZero: true, grid: { display: false }, title: { display: true, text: "hours" } },
        },
        interaction: { mode: "index", intersect: false },
      },
    }),
    care: () => ({
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          line("Satisfaction (1–5)", data.satisfaction, PURPLE, { yAxisID: "score", pointRadius: 2 }),
          bar("Hit the runaround", data.runaround, VERMILION, { yAxisID: "count" }),
        ],
      },
      options: {
        scales: {
          x: xAxis(),
          score: { position: "left", min: 1, max: 5, title: { display: true, text: "satisfaction" } },
          count: {
            position: "right",
            beginAtZero: true,
            suggestedMax: 4,
            grid: { display: false },
            ticks: { precision: 0 },
            title: { display: true, text: "issues" },
          },
        },
        interaction: { mode: "index", intersect: false },
      },
    }),
    mentions: () => ({
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          bar("Turned into issues", data.promoted, BLUE),
          bar("Other mentions", data.mentions.map((n, i) => n - data.promoted[i]), SKY),
        ],
      },
      options: {
        scales: {
          x: { ...xAxis(), stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "mentions" } },
        },
        interaction: { mode: "index", intersect: false },
      },
    }),
  };

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const build = charts[canvas.dataset.chart];
    if (build) {
      new Chart(canvas, build());
    }
  });
})();
