// Milliseconds per step of each workload: measured here beside the recorded wasm and torch
// medians, one dot each on a log axis (the workloads span three orders of magnitude), the
// fastest step here as a hollow dot. Plain data in (lib/bench/speed-compare.ts), DOM out.
import * as Plot from "@observablehq/plot";
import type { SpeedComparison } from "../lib/bench/speed-compare.js";
import { el } from "./element.js";

export interface SpeedChartOptions {
  width?: number;
  /** Legend names of the three sources: here, recorded wasm, recorded torch. */
  labels: { here: string; wasm: string; torch: string };
}

const COLORS = ["#4269d0", "#efb118", "#ff725c"];

/** The root (figure.maskau-speed-chart) carries data-points, the number of median dots. */
export function SpeedChart(rows: readonly SpeedComparison[], { width = 640, labels }: SpeedChartOptions): HTMLElement {
  const points = rows.flatMap((r) => [
    ...(r.measured ? [{ workload: r.workload, source: labels.here, ms: r.measured.medianMs }] : []),
    ...(r.wasm ? [{ workload: r.workload, source: labels.wasm, ms: r.wasm.median_ms }] : []),
    ...(r.torch ? [{ workload: r.workload, source: labels.torch, ms: r.torch.median_ms }] : []),
  ]);
  const fastest = rows.flatMap((r) => (r.measured ? [{ workload: r.workload, ms: r.measured.minMs }] : []));
  const chart = Plot.plot({
    width,
    height: 60 + 36 * rows.length,
    marginLeft: 110,
    x: { type: "log", label: "ms per step (log scale) →", grid: true },
    y: { domain: rows.map((r) => r.workload), label: null },
    color: { domain: [labels.here, labels.wasm, labels.torch], range: COLORS, legend: true },
    marks: [
      Plot.ruleY(rows.map((r) => r.workload), { stroke: "var(--theme-foreground-faintest)" }),
      Plot.dot(fastest, { x: "ms", y: "workload", stroke: COLORS[0], r: 4, title: (d) => `${d.workload}: fastest step here ${d.ms.toFixed(1)} ms` }),
      Plot.dot(points, { x: "ms", y: "workload", fill: "source", r: 5, title: (d) => `${d.workload}, ${d.source}: ${d.ms.toFixed(1)} ms (median)` }),
    ],
  });
  const figure = el("figure", { className: "maskau-speed-chart" }, chart);
  figure.dataset.points = String(points.length);
  return figure;
}
