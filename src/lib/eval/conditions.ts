// The input conditions of the paper's Table 2, as images a detector reads:
//   clean      the faces as they are
//   occluded   the faces with removed patches painted over by a fill (gray by default)
//   composite  the occluded faces reconstructed by a frozen MAE: visible pixels of the
//              input, the MAE's prediction in the removed patches
// The occlusion is an OcclusionSpec of the one occlusion grammar (masks/spec.ts:
// random:0.5, block:0.3, region:eyes, ...). Masks are on the MAE's patch grid (1 =
// removed), so the pixels painted over are exactly those the MAE reconstructs. Each
// image's mask is a function of a key: the frame index for evaluation and for cached
// composites (every run sees the same occlusion of a frame, and the occluded and
// composite conditions are paired), or (seed, step, slot) for masks drawn afresh at
// every training step.
import { imageBytes, type AUDataset } from "../data/dataset.js";
import { mixSeed } from "../data/prng.js";
import { patchToPixel } from "../masks/convert.js";
import { applyMask, type Fill } from "../masks/fill.js";
import { formatOcclusion, type OcclusionSpec } from "../masks/spec.js";

export type InputKind = "clean" | "occluded" | "composite";
export const INPUT_KINDS: readonly InputKind[] = ["clean", "occluded", "composite"];

/**
 * Mask key of variant `v` of a frame: variant 0 is the frame index itself (the mask every
 * evaluation uses); further variants give a training frame other occlusions, so that a
 * teacher trained on cached composites still sees each face occluded in several ways.
 */
export function variantKey(frame: number, variant: number): number {
  return variant === 0 ? frame : mixSeed(frame, variant, 0x7a21) | 0;
}

/** Mask keys of training images: a function of (seed, step, slot in the batch). */
export function stepMaskKeys(seed: number, step: number, batch: number): Int32Array {
  return Int32Array.from({ length: batch }, (_, j) => mixSeed(seed, step, j, 0x5e7) | 0);
}

/** uint8 RGB images [B, S, S, 3] with the removed patches painted with `fill`. */
export function occludeImages(images: Uint8Array, size: number, masks: Float32Array, patch: number, fill: Fill, seed = 0): Uint8Array {
  const grid = size / patch;
  if (!Number.isInteger(grid)) throw new Error(`image size ${size} is not a multiple of the patch size ${patch}`);
  const L = grid * grid;
  const ib = size * size * 3;
  const n = images.length / ib;
  if (masks.length !== n * L) throw new Error(`occludeImages: ${masks.length} mask values for ${n} images of ${L} patches`);
  const out = new Uint8Array(images.length);
  for (let b = 0; b < n; b++) {
    const img = images.subarray(b * ib, (b + 1) * ib);
    const m = masks.subarray(b * L, (b + 1) * L);
    let any = false;
    for (const v of m) if (v) any = true;
    if (!any) {
      out.set(img, b * ib);
      continue;
    }
    const pixel = patchToPixel(m, grid, patch);
    out.set(applyMask({ data: img, width: size, height: size, channels: 3 }, pixel, fill, { seed: mixSeed(seed, b) }), b * ib);
  }
  return out;
}

/** Images of chosen frames, stored contiguously (composites of a fold, say). */
export class FrameImages {
  private readonly slot = new Map<number, number>();

  constructor(
    readonly frames: Int32Array,
    readonly images: Uint8Array,
    readonly size: number,
  ) {
    if (images.length !== frames.length * size * size * 3) throw new Error(`FrameImages: ${images.length} bytes for ${frames.length} frames of ${size} px`);
    frames.forEach((f, i) => this.slot.set(f, i));
  }

  has(frame: number): boolean {
    return this.slot.has(frame);
  }

  /** A view of one frame's image. */
  get(frame: number): Uint8Array {
    const i = this.slot.get(frame);
    if (i === undefined) throw new Error(`no image for frame ${frame} (only ${this.frames.length} frames were prepared)`);
    const ib = this.size * this.size * 3;
    return this.images.subarray(i * ib, (i + 1) * ib);
  }
}

/** uint8 images of `frames` from a dataset or from prepared images (composites). */
export function gatherImages(source: AUDataset | FrameImages, frames: ArrayLike<number>): Uint8Array {
  const ib = imageBytes(source);
  const out = new Uint8Array(frames.length * ib);
  for (let j = 0; j < frames.length; j++) {
    const f = frames[j];
    out.set(source instanceof FrameImages ? source.get(f) : source.images.subarray(f * ib, (f + 1) * ib), j * ib);
  }
  return out;
}

/** Labels [frames, A] as floats. */
export function gatherLabels(ds: AUDataset, frames: ArrayLike<number>): Float32Array {
  const A = ds.aus.length;
  const out = new Float32Array(frames.length * A);
  for (let j = 0; j < frames.length; j++) for (let a = 0; a < A; a++) out[j * A + a] = ds.labels[frames[j] * A + a];
  return out;
}

export interface ConditionSpec {
  input: InputKind;
  occlusion: OcclusionSpec;
  /** Fill of the occluded condition. Default "gray". */
  fill?: Fill;
  /** Patch side of the masks in pixels (the MAE's patch size). */
  patch: number;
}

/** Checks that a condition makes sense (occluded/composite need an occlusion). */
export function checkCondition(c: ConditionSpec): void {
  if (c.input !== "clean" && c.occlusion.kind === "none") throw new Error(`input "${c.input}" needs an occlusion (e.g. --occlusion random:0.5, block:0.3 or region:eyes)`);
  if (!INPUT_KINDS.includes(c.input)) throw new Error(`unknown input "${c.input}": choose ${INPUT_KINDS.join(", ")}`);
}

/** A short label, e.g. "clean", "occluded random:0.5", "composite block:0.3". */
export function conditionLabel(c: Pick<ConditionSpec, "input" | "occlusion">): string {
  return c.input === "clean" ? "clean" : `${c.input} ${formatOcclusion(c.occlusion)}`;
}
