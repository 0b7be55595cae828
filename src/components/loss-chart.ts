// Training loss against step (Observable Plot): every step as a faint dot and a moving
// average as a line, for one run or several side by side.
import * as Plot from "@observablehq/plot";

export interface LossPoint {
  step: number;
  loss: number;
}

export interface LossSeries {
  name: string;
  points: LossPoint[];
  color: string;
}

export interface LossChartOptions {
  width?: number;
  height?: number;
  /** Fixes the x extent (the run's length), so the curve grows into it. */
  totalSteps?: number;
  /** Single (step, loss) points with a label (a model whose history is not stored). */
  markers?: (LossPoint & { label: string; color: string })[];
  /** The y axis' label. */
  lossLabel?: string;
  /** What the chart says before there is a point. */
  empty?: string;
}

/** Trailing moving average over `k` steps (the first points average what there is). */
export function movingAverage(points: readonly LossPoint[], k: number): LossPoint[] {
  const out: LossPoint[] = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i].loss;
    if (i >= k) sum -= points[i - k].loss;
    out.push({ step: points[i].step, loss: sum / Math.min(i + 1, k) });
  }
  return out;
}

/** A figure (class maskau-loss-chart, data-points: the number of loss points drawn). */
export function LossChart(series: LossSeries[], options: LossChartOptions = {}): HTMLElement {
  const { width = 640, height = 280, totalSteps, markers = [], lossLabel = "loss (MSE on removed patches)", empty = "No loss recorded yet." } = options;
  const rows = series.flatMap((s) => s.points.map((p) => ({ ...p, run: s.name })));
  const longest = Math.max(1, ...series.map((s) => s.points.length));
  const k = Math.max(1, Math.round(longest / 40));
  const smooth = series.flatMap((s) => movingAverage(s.points, k).map((p) => ({ ...p, run: s.name })));
  const maxStep = Math.max(totalSteps ?? 1, ...rows.map((r) => r.step), ...markers.map((m) => m.step));
  const maxLoss = Math.max(0.05, ...rows.map((r) => r.loss), ...markers.map((m) => m.loss));
  const figure = document.createElement("figure");
  figure.className = "maskau-loss-chart";
  figure.dataset.points = String(rows.length);
  if (rows.length === 0 && markers.length === 0) {
    figure.append(Object.assign(document.createElement("p"), { className: "muted maskau-chart-empty", textContent: empty }));
    return figure;
  }
  figure.append(
    Plot.plot({
      width,
      height,
      marginLeft: 50,
      x: { label: "step", domain: [0, maxStep], grid: true },
      y: { label: lossLabel, domain: [0, maxLoss * 1.05], grid: true },
      color: { legend: series.length > 1 || markers.length > 0, domain: [...series.map((s) => s.name), ...markers.map((m) => m.label)], range: [...series.map((s) => s.color), ...markers.map((m) => m.color)] },
      marks: [
        Plot.dot(rows, { x: "step", y: "loss", fill: "run", r: rows.length > 400 ? 1 : 2, fillOpacity: 0.25 }),
        Plot.line(smooth, { x: "step", y: "loss", stroke: "run", strokeWidth: 2, z: "run" }),
        Plot.dot(markers, { x: "step", y: "loss", fill: "label", r: 5, stroke: "white", symbol: "diamond" }),
        Plot.text(markers, { x: "step", y: "loss", text: (m: { label: string; loss: number }) => `${m.label} ${m.loss.toFixed(3)}`, dy: -12, textAnchor: "end" }),
        Plot.tip(smooth, Plot.pointerX({ x: "step", y: "loss", title: (p: LossPoint & { run: string }) => `${p.run}\nstep ${p.step}\nloss ${p.loss.toFixed(4)} (mean of ${k})` })),
        Plot.ruleY([0]),
      ],
    }) as Element,
  );
  return figure;
}
