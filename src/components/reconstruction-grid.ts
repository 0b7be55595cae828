// Rows of images over the same held-out faces (original, masked input, each model's
// reconstruction), labelled on the left; and the MAE pretraining page's grids of them:
// the faces and their input at once, then the shipped MAE beside the run being trained.
import type { ImageReconstruction } from "../lib/models/reconstruct.js";
import type { HeldOutSamples } from "../lib/data/page-dataset.js";
import { occludeImages } from "../lib/masks/occlude.js";
import type { SampleReconstructions } from "../lib/train/mae-run.js";
import { el } from "./element.js";
import { ImageStrip, type ImagePanel } from "./image-strip.js";
import { Pending } from "./progress.js";

export interface GridRow {
  label: string;
  /** [count, size, size, 3] uint8 RGB, or null for a row not available yet (drawn blank with `placeholder`). */
  images: Uint8Array | null;
  /** One note per image (e.g. its error). */
  notes?: string[];
  placeholder?: string;
  /** The row is being computed: what is being done (a placeholder with a progress bar). */
  pending?: string;
}

/** Rows of `count` images of `size` px each, captioned with `titles`. */
export function ReconstructionGrid(rows: GridRow[], { size, count, titles, scale = 2 }: { size: number; count: number; titles?: string[]; scale?: number }): HTMLElement {
  const root = el("div", { className: "maskau-recon-grid" });
  root.style.setProperty("--recon-count", String(count));
  const ib = size * size * 3;
  for (const row of rows) {
    const images = row.images;
    const body = images
      ? ImageStrip(
          Array.from({ length: count }, (_, i): ImagePanel => ({ title: titles?.[i] ?? "", size, rgb: images.subarray(i * ib, (i + 1) * ib), note: row.notes?.[i] })),
          { scale },
        )
      : row.pending !== undefined
        ? Pending({ state: "pending", message: row.pending, done: null, total: null }, { className: "maskau-recon-placeholder" })
        : el("p", { className: "muted maskau-recon-placeholder", textContent: row.placeholder ?? "" });
    root.append(el("div", { className: "maskau-recon-label", textContent: row.label }), body);
  }
  return root;
}

/** The shipped MAE as the page loads it (see shipped-mae.ts). */
export type ShippedRow =
  | { state: "loading" | "error"; error?: string; step?: undefined; out?: undefined }
  | { state: "ready"; step: number | null; out: ImageReconstruction | null };

/** Share of the patches a mask removes, in percent. */
const removedPercent = (mask: Float32Array) => Math.round((100 * mask.reduce((a, v) => a + v, 0)) / mask.length);

const inputRow = (s: HeldOutSamples, m: Float32Array, p: number): GridRow => ({ label: `input (${removedPercent(m)}% removed)`, images: occludeImages(s.images, s.size, m, p, "gray") });

/**
 * The held-out faces and the masked input every model gets (original | input rows). They
 * need no model, so the page draws them before the backend has started.
 */
export function HeldOutInputs(samples: HeldOutSamples, mask: Float32Array, patch: number): HTMLElement {
  return ReconstructionGrid([{ label: "original", images: samples.images }, inputRow(samples, mask, patch)], {
    size: samples.size,
    count: samples.count,
    titles: samples.subjects,
    scale: 2,
  });
}

export interface HeldOutGridOptions {
  /** The held-out faces (their fixed mask is the run's and the shipped model's). */
  samples: HeldOutSamples;
  shipped: ShippedRow;
  /** The run's latest reconstructions (null before any). */
  run: SampleReconstructions | null;
  /** Why the run has no reconstructions (no run yet, or a preset that predicts normalised pixels). */
  runPlaceholder: string;
  /** Show composites (visible patches kept) or the raw reconstructions. */
  show: "composite" | "reconstruction";
}

/**
 * The shipped MAE's and this run's rows over the held-out faces, under HeldOutInputs (same
 * columns); a run at another image size gets a grid of its own below.
 */
export function HeldOutReconstructions({ samples, shipped, run, runPlaceholder, show }: HeldOutGridOptions): HTMLElement {
  const { size, count } = samples;
  const errors = (e: Float32Array) => Array.from(e, (v) => `MSE ${v.toFixed(3)}`);
  const pick = (r: { composite: Uint8Array; reconstruction: Uint8Array }) => (show === "composite" ? r.composite : r.reconstruction);
  const runLabel = run ? `this run (step ${run.step})` : "this run";
  const sameSize = run !== null && run.samples.size === size;
  const root = el("div");
  const shippedRow: GridRow = shipped.out
    ? { label: `shipped MAE (step ${shipped.step ?? "?"})`, images: pick(shipped.out), notes: errors(shipped.out.removedError) }
    : shipped.state === "loading"
      ? { label: "shipped MAE", images: null, pending: "loading the shipped MAE and reconstructing these faces…" }
      : { label: "shipped MAE", images: null, placeholder: shipped.state === "error" ? `could not be loaded: ${shipped.error}` : "not a tiny pixel-space MAE" };
  root.append(
    ReconstructionGrid(
      [
        shippedRow,
        sameSize
          ? { label: runLabel, images: pick(run), notes: errors(run.removedError) }
          : { label: runLabel, images: null, placeholder: run ? `this run's faces are ${run.samples.size} px: shown below` : runPlaceholder },
      ],
      { size, count, scale: 2 },
    ),
  );
  if (run && !sameSize) {
    root.append(
      ReconstructionGrid([inputRow(run.samples, run.mask, run.patch), { label: runLabel, images: pick(run), notes: errors(run.removedError) }], {
        size: run.samples.size,
        count: run.samples.count,
        titles: run.samples.subjects,
        scale: 1,
      }),
    );
  }
  return root;
}
