/* Patient page: one Chart.js line chart per vital kind, with the clinical threshold bands shaded
   behind the readings by a small plugin (no annotation plugin needed). */
(function () {
  "use strict";
  const data = document.getElementById("vital-series");
  if (!data || typeof Chart === "undefined") return;
  const series = JSON.parse(data.textContent);

  const FILL = {
    normal: "rgba(6, 118, 71, 0.09)",
    borderline: "rgba(217, 119, 6, 0.12)",
    abnormal: "rgba(220, 38, 38, 0.11)",
    critical: "rgba(127, 29, 29, 0.18)",
  };
  const INK = { normal: "#067647", borderline: "#b45309", abnormal: "#b42318", critical: "#7f1d1d" };
  const LINE = "#0f766e";

  // Shades each band [low, high) of options.plugins.thresholdBands.bands across the chart area, labelled
  // at the right edge when there is room.
  const thresholdBands = {
    id: "thresholdBands",
    beforeDatasetsDraw(chart, _args, options) {
      const bands = (options && options.bands) || [];
      const { ctx, chartArea: area, scales: { y } } = chart;
      ctx.save();
      ctx.font = "11px system-ui, sans-serif";
      ctx.textAlign = "right";
      ctx.textBaseline = "top";
      for (const band of bands) {
        const top = band.high == null ? area.top : Math.max(area.top, y.getPixelForValue(band.high));
        const bottom = band.low == null ? area.bottom : Math.min(area.bottom, y.getPixelForValue(band.low));
        if (bottom - top < 1) continue;
        ctx.fillStyle = FILL[band.severity] || FILL.normal;
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
        if (bottom - top >= 14) {
          ctx.fillStyle = INK[band.severity] || INK.normal;
          ctx.globalAlpha = 0.75;
          ctx.fillText(band.label, area.right - 4, top + 2);
          ctx.globalAlpha = 1;
        }
      }
      ctx.restore();
    },
  };

  const day = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
  const stamp = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  function bounds(s) {
    // Keep the normal range in view, so a reading is always seen against it.
    const values = s.points.map((p) => p[1]);
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    const [normalLow, normalHigh] = s.normal;
    if (normalLow != null) lo = Math.min(lo, normalLow);
    if (normalHigh != null) hi = Math.max(hi, normalHigh);
    const pad = Math.max((hi - lo) * 0.08, 1);
    return { min: Math.floor(lo - pad), max: Math.ceil(hi + pad) };
  }

  for (const s of series) {
    const canvas = document.querySelector(`canvas[data-kind="${s.kind}"]`);
    if (!canvas) continue;
    const { min, max } = bounds(s);
    const few = s.points.length < 60;
    new Chart(canvas, {
      type: "line",
      data: {
        datasets: [{
          label: s.label,
          data: s.points.map(([x, y]) => ({ x, y })),
          borderColor: LINE,
          backgroundColor: LINE,
          borderWidth: 1.5,
          pointRadius: few ? 2.5 : 0,
          pointHoverRadius: 4,
          tension: 0.2,
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        normalized: true,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: {
            type: "linear",
            // The readings' own span: a "nice" linear bound would run weeks past today.
            min: s.points[0][0],
            max: s.points[s.points.length - 1][0],
            ticks: { maxTicksLimit: 6, callback: (value) => day.format(new Date(value)) },
            grid: { display: false },
          },
          y: { min, max, title: { display: true, text: s.unit } },
        },
        plugins: {
          legend: { display: false },
          thresholdBands: { bands: s.bands },
          tooltip: {
            callbacks: {
              title: (items) => stamp.format(new Date(items[0].parsed.x)),
              label: (item) => `${s.label}: ${item.parsed.y} ${s.unit}`,
            },
          },
        },
      },
      plugins: [thresholdBands],
    });
  }
})();
