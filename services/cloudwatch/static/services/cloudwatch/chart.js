// A metric chart for CloudWatch's inspectors: uPlot (from npm, static/vendor/uplot), drawn on a
// canvas offline. An alarm's chart has its datapoints, the threshold as a dashed red line, and the
// periods its last evaluation read shaded.

import { h } from "../../js/kit.js";

const moduleUrl = new URL("../../vendor/uplot/uPlot.esm.js", import.meta.url).href;
const cssUrl = new URL("../../vendor/uplot/uPlot.min.css", import.meta.url).href;
let loading = null;

function load() {
  if (!loading) {
    if (!document.querySelector(`link[href="${cssUrl}"]`)) {
      document.head.append(h("link", { rel: "stylesheet", href: cssUrl }));
    }
    loading = import(moduleUrl).then((module) => module.default);
  }
  return loading;
}

/** Draw (or redraw) a chart in `box`: lines = [{label, points: [[epochSeconds, value], ...], color}],
 *  threshold a number or null, band = [fromSeconds, toSeconds] or null. */
export async function drawChart(box, { lines, threshold = null, band = null, width = 320, height = 160 }) {
  const uPlot = await load();
  const stamps = [...new Set(lines.flatMap((line) => line.points.map((p) => p[0])))].sort((a, b) => a - b);
  if (band) {
    if (!stamps.length || stamps[0] > band[0]) stamps.unshift(band[0]);
    if (stamps[stamps.length - 1] < band[1]) stamps.push(band[1]);
  }
  const data = [stamps];
  const series = [{}];
  for (const line of lines) {
    const byStamp = new Map(line.points.map(([at, value]) => [at, value]));
    data.push(stamps.map((at) => (byStamp.has(at) ? byStamp.get(at) : null)));
    series.push({ label: line.label, stroke: line.color || "#1c7ed6", width: 2, points: { show: true, size: 6 }, spanGaps: false });
  }
  if (threshold !== null && threshold !== undefined) {
    data.push(stamps.map(() => threshold));
    series.push({ label: "threshold", stroke: "#e03131", width: 1.5, dash: [6, 4], points: { show: false } });
  }
  const hooks = band
    ? {
        drawClear: [
          (plot) => {
            const left = plot.valToPos(band[0], "x", true);
            const right = plot.valToPos(band[1], "x", true);
            plot.ctx.save();
            plot.ctx.fillStyle = "rgba(250, 176, 5, 0.15)";
            plot.ctx.fillRect(left, plot.bbox.top, right - left, plot.bbox.height);
            plot.ctx.restore();
          },
        ],
      }
    : {};
  box.replaceChildren();
  box.dataset.points = String(lines.reduce((n, line) => n + line.points.length, 0));
  box.dataset.threshold = threshold === null || threshold === undefined ? "" : String(threshold);
  return new uPlot({ width, height, series, hooks, legend: { show: true }, scales: { x: { time: true } } }, data, box);
}
