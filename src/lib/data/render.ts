// One-off renders for pages and figures: a face of a given identity with
// chosen AU intensities, outside any dataset.
import { ALL_AUS, type AUNumber } from "./aus.js";
import { NEUTRAL_FRAME, drawFace, type FrameParams } from "./face.js";
import { sampleIdentity, type Identity } from "./identity.js";
import { Rng, mixSeed } from "./prng.js";
import { Raster } from "./raster.js";

export interface RenderFaceOptions {
  /** Image side in pixels. Default 64. */
  size?: number;
  /** AU intensities 0..5 (continuous); missing AUs are 0. */
  aus?: Partial<Record<AUNumber, number>>;
  /** Frame settings; default a neutral, aligned, clean frame. */
  frame?: Partial<FrameParams>;
  /** Noise seed (only used when frame.noise > 0). */
  seed?: number;
}

/** An identity drawn from a seed (independent of any dataset). */
export function identityFromSeed(seed: number, sex: "F" | "M" = new Rng(mixSeed(seed, 7)).chance(0.5) ? "F" : "M"): Identity {
  return sampleIdentity(new Rng(mixSeed(seed, 0x1d)), `ID${seed}`, sex);
}

/** Renders one face; returns [size, size, 3] uint8 RGB. */
export function renderFace(identity: Identity, options: RenderFaceOptions = {}): Uint8Array {
  const size = options.size ?? 64;
  const r = new Raster(size);
  const intens = new Float64Array(ALL_AUS.length);
  ALL_AUS.forEach((au, i) => {
    intens[i] = Math.min(5, Math.max(0, options.aus?.[au] ?? 0));
  });
  const frame: FrameParams = { ...NEUTRAL_FRAME, ...options.frame };
  drawFace(r, identity, intens, frame);
  const out = new Uint8Array(size * size * 3);
  r.toUint8(out, 0, frame.noise, new Rng(options.seed ?? 0));
  return out;
}

/** Tiles equally sized RGB images into a grid image; returns the pixels and the grid size. */
export function tileImages(images: Uint8Array[], size: number, columns: number, gap = 2): { data: Uint8Array; width: number; height: number } {
  const rows = Math.ceil(images.length / columns);
  const width = columns * size + (columns + 1) * gap;
  const height = rows * size + (rows + 1) * gap;
  const data = new Uint8Array(width * height * 3).fill(255);
  images.forEach((img, k) => {
    const ox = gap + (k % columns) * (size + gap);
    const oy = gap + Math.floor(k / columns) * (size + gap);
    for (let y = 0; y < size; y++) {
      data.set(img.subarray(y * size * 3, (y + 1) * size * 3), ((oy + y) * width + ox) * 3);
    }
  });
  return { data, width, height };
}
