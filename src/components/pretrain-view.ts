// Views of the pretraining page: the loss chart (Observable Plot), the run's status
// readout, the run controls and the grid of held-out reconstructions. Inputs are
// plain data (loss points, a session snapshot, pixels); outputs are DOM.
import { RUN_STATUS_TEXT } from "./run-status.js";
import * as Plot from "@observablehq/plot";
import { patchToPixel } from "../lib/masks/convert.js";
import { applyMask } from "../lib/masks/fill.js";
import { formatDuration, type PretrainSettings } from "../lib/train/mae-run.js";
import { ImageStrip, type ImagePanel } from "./image-strip.js";
import type { SessionSnapshot } from "./pretrain-session.js";

export interface LossPoint {
  step: number;
  loss: number;
}

export interface LossSeries {
  name: string;
  points: LossPoint[];
  color: string;
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

/**
 * Training loss against step for one or more runs: every step as a faint dot and a
 * moving average as a line. `markers` are single (step, loss) points with a label
 * (a model whose history is not stored). `totalSteps` fixes the x extent.
 */
export function LossChart(
  series: LossSeries[],
  { width = 640, height = 280, totalSteps, markers = [] }: { width?: number; height?: number; totalSteps?: number; markers?: (LossPoint & { label: string; color: string })[] } = {},
): HTMLElement {
  const rows = series.flatMap((s) => s.points.map((p) => ({ ...p, run: s.name })));
  const longest = Math.max(1, ...series.map((s) => s.points.length));
  const k = Math.max(1, Math.round(longest / 40));
  const smooth = series.flatMap((s) => movingAverage(s.points, k).map((p) => ({ ...p, run: s.name })));
  const maxStep = Math.max(totalSteps ?? 1, ...rows.map((r) => r.step), ...markers.map((m) => m.step));
  const maxLoss = Math.max(0.1, ...rows.map((r) => r.loss), ...markers.map((m) => m.loss));
  const figure = document.createElement("figure");
  figure.className = "maskau-loss-chart";
  figure.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));
  if (rows.length === 0 && markers.length === 0) {
    figure.append(Object.assign(document.createElement("p"), { className: "muted", textContent: "No loss recorded yet." }));
    return figure;
  }
  figure.append(
    Plot.plot({
      width,
      height,
      marginLeft: 50,
      x: { label: "step", domain: [0, maxStep], grid: true },
      y: { label: "loss (MSE on removed patches)", domain: [0, maxLoss * 1.05], grid: true },
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

function stat(label: string, value: string, attr?: string): HTMLElement {
  const el = document.createElement("div");
  el.className = "maskau-run-stat";
  const v = document.createElement("b");
  v.textContent = value;
  if (attr) v.className = attr;
  const l = document.createElement("span");
  l.textContent = label;
  el.append(v, l);
  return el;
}

/** The run's status: step counter, progress, loss, throughput, ETA, last save and a message. */
export function RunStatus(s: SessionSnapshot): HTMLElement {
  const root = document.createElement("div");
  root.className = `maskau-run-status maskau-run-${s.status}`;
  root.dataset.status = s.status;
  root.dataset.step = String(s.step);
  root.dataset.totalSteps = String(s.totalSteps);
  if (s.savedStep !== null) root.dataset.savedStep = String(s.savedStep);
  const pill = document.createElement("span");
  pill.className = "maskau-run-pill";
  pill.textContent = RUN_STATUS_TEXT[s.status];
  const bar = document.createElement("progress");
  bar.max = Math.max(1, s.totalSteps);
  bar.value = s.step;
  const head = document.createElement("div");
  head.className = "maskau-run-head";
  head.append(pill, bar);
  const last = s.history.at(-1);
  const stats = document.createElement("div");
  stats.className = "maskau-run-stats";
  stats.append(
    stat("step", s.totalSteps ? `${s.step} / ${s.totalSteps}` : "–", "maskau-run-step"),
    stat("loss", last ? last.loss.toFixed(4) : "–"),
    stat("images / s", s.imagesPerSecond === null ? "–" : s.imagesPerSecond.toFixed(s.imagesPerSecond < 10 ? 1 : 0)),
    stat("time left", s.status === "training" ? formatDuration(s.etaSeconds) : "–"),
    stat(`saved (${s.storage})`, s.savedStep === null ? "–" : `step ${s.savedStep}`),
  );
  const message = document.createElement("p");
  message.className = s.error ? "maskau-warning" : "muted";
  message.textContent = s.message;
  root.append(head, stats, message);
  return root;
}

export interface RunControlHandlers {
  start(): void;
  pause(): void;
  resume(): void;
  discard(): void;
  download(): void;
}

export type RunControlsElement = HTMLElement & { update(s: SessionSnapshot): void };

/** Start / pause / resume / discard / download buttons; `update` enables the ones that apply. */
export function RunControls(handlers: RunControlHandlers): RunControlsElement {
  const root = document.createElement("div") as unknown as RunControlsElement;
  root.className = "maskau-run-controls";
  const button = (name: keyof RunControlHandlers, text: string, primary = false) => {
    const b = document.createElement("button");
    b.type = "button";
    b.name = name;
    b.textContent = text;
    if (primary) b.className = "maskau-primary";
    b.addEventListener("click", () => handlers[name]());
    root.append(b);
    return b;
  };
  const start = button("start", "Start new run", true);
  const pause = button("pause", "Pause");
  const resume = button("resume", "Resume", true);
  const download = button("download", "Download checkpoint");
  const discard = button("discard", "Discard run");
  root.update = (s) => {
    const busy = s.status === "preparing" || s.status === "training" || s.status === "pausing";
    const canResume = s.status === "paused" || (s.status === "idle" && s.offer !== null);
    const hasRun = s.settings !== null || s.offer !== null;
    start.disabled = busy;
    pause.disabled = s.status !== "training";
    resume.disabled = !canResume;
    resume.hidden = !canResume;
    resume.textContent = s.status === "idle" && s.offer ? (s.offer.step >= s.offer.totalSteps ? `Open saved run (finished)` : `Resume saved run at step ${s.offer.step}`) : "Resume";
    pause.hidden = canResume;
    download.disabled = !hasRun || s.status === "preparing" || s.status === "pausing" || (s.step === 0 && s.offer === null);
    discard.disabled = busy || !hasRun;
  };
  return root;
}

/** "tiny, 2000 steps, batch 32, lr 0.001, mask 75%, seed 0, 30 frames per subject". */
export function describeRun(s: PretrainSettings): string {
  return `${s.preset}, ${s.steps} steps, batch ${s.batch}, lr ${s.lr}, mask ${Math.round(s.maskRatio * 100)}%, seed ${s.seed}, ${s.frames} frames per subject`;
}

export interface GridRow {
  label: string;
  /** [count, size, size, 3] uint8 RGB, or null for a row not available yet (drawn blank with `placeholder`). */
  images: Uint8Array | null;
  /** One note per image (e.g. its error). */
  notes?: string[];
  placeholder?: string;
}

/** Rows of images over the same samples (original, masked, each model's reconstruction), labelled on the left. */
export function ReconstructionGrid(rows: GridRow[], { size, count, titles, scale = 2 }: { size: number; count: number; titles?: string[]; scale?: number }): HTMLElement {
  const root = document.createElement("div");
  root.className = "maskau-recon-grid";
  root.style.setProperty("--recon-count", String(count));
  for (const row of rows) {
    const label = document.createElement("div");
    label.className = "maskau-recon-label";
    label.textContent = row.label;
    let body: HTMLElement;
    if (row.images) {
      const ib = size * size * 3;
      const panels: ImagePanel[] = Array.from({ length: count }, (_, i) => ({
        title: titles?.[i] ?? "",
        size,
        rgb: row.images!.subarray(i * ib, (i + 1) * ib),
        note: row.notes?.[i],
      }));
      body = ImageStrip(panels, { scale });
    } else {
      body = document.createElement("p");
      body.className = "muted maskau-recon-placeholder";
      body.textContent = row.placeholder ?? "";
    }
    root.append(label, body);
  }
  return root;
}

/** Held-out images with the removed patches filled gray ([count, size, size, 3] uint8). */
export function maskedImages(images: Uint8Array, mask: ArrayLike<number>, size: number, patch: number): Uint8Array {
  const grid = size / patch;
  const L = grid * grid;
  const ib = size * size * 3;
  const out = new Uint8Array(images.length);
  for (let b = 0; b < images.length / ib; b++) {
    const pixels = patchToPixel(Array.prototype.slice.call(mask, b * L, (b + 1) * L), grid, patch);
    out.set(applyMask({ data: images.subarray(b * ib, (b + 1) * ib), width: size, height: size }, pixels, "gray"), b * ib);
  }
  return out;
}
