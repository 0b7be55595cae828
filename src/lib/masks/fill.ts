// Applying a pixel mask to an image: the removed pixels (mask 1) are replaced by a fill,
// everything else is copied unchanged. Images are row-major HWC, either float (0..1,
// usually RGB) or 8-bit (0..255, usually RGBA as canvases give them); an alpha channel
// is left as it is.
//
// Fills: "black", "gray" (0.5), a fixed colour, "noise" (seeded uniform), "mean" (the
// mean colour of the visible pixels), and two object-like textures drawn procedurally
// inside the mask, for occlusions that look like real ones: "hand" (skin tone, finger
// stripes with creases and cylindrical shading) and "sunglasses" (dark glossy lenses
// with a frame and specular highlights).
import { Rng } from "../data/prng.js";

export interface MaskableImage {
  data: Float32Array | Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA); default: inferred from the data length. */
  channels?: number;
}

export type FillKind = "black" | "gray" | "noise" | "mean" | "hand" | "sunglasses";

export type Fill = FillKind | { color: readonly [number, number, number] };

export interface FillOptions {
  /** Seed of "noise" and of the textures' variations. Default 0. */
  seed?: number;
}

export const FILL_KINDS: readonly FillKind[] = ["black", "gray", "noise", "mean", "hand", "sunglasses"];

/** Bounding box of the removed pixels, or null if none. */
function bbox(mask: ArrayLike<number>, width: number, height: number) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** City-block distance (in pixels) from each removed pixel to the nearest kept pixel or the image border. */
function edgeDistance(mask: ArrayLike<number>, width: number, height: number): Int32Array {
  const big = width + height;
  const d = new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      const up = y > 0 ? d[i - width] : 0;
      const left = x > 0 ? d[i - 1] : 0;
      d[i] = Math.min(big, up + 1, left + 1);
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      if (!mask[i]) continue;
      const down = y < height - 1 ? d[i + width] : 0;
      const right = x < width - 1 ? d[i + 1] : 0;
      d[i] = Math.min(d[i], down + 1, right + 1);
    }
  }
  return d;
}

type Painter = (x: number, y: number) => [number, number, number];

const SKIN_TONES: [number, number, number][] = [
  [0.96, 0.8, 0.69],
  [0.91, 0.72, 0.58],
  [0.82, 0.6, 0.46],
  [0.67, 0.47, 0.34],
  [0.5, 0.34, 0.24],
  [0.36, 0.24, 0.17],
];

function handPainter(mask: ArrayLike<number>, width: number, height: number, seed: number): Painter {
  const box = bbox(mask, width, height)!;
  const rng = new Rng(seed ^ 0x48414e44);
  const tone = SKIN_TONES[rng.int(SKIN_TONES.length)].map((c) => c * rng.uniform(0.95, 1.05)) as [number, number, number];
  const angle = rng.uniform(-0.35, 0.35);
  const fingers = 4;
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const cx = (box.x0 + box.x1) / 2;
  const cy = (box.y0 + box.y1) / 2;
  // Extent of the box across (u) and along (v) the rotated finger direction.
  const halfW = (Math.abs(cos) * (box.x1 - box.x0) + Math.abs(sin) * (box.y1 - box.y0)) / 2;
  const halfH = (Math.abs(sin) * (box.x1 - box.x0) + Math.abs(cos) * (box.y1 - box.y0)) / 2;
  const knuckles = [rng.uniform(0.3, 0.4), rng.uniform(0.55, 0.65)];
  const grain = new Rng(seed ^ 0x6772);
  return (x, y) => {
    const px = x + 0.5 - cx;
    const py = y + 0.5 - cy;
    const t = ((px * cos + py * sin) / (2 * halfW) + 0.5) * fingers;
    const v = (-px * sin + py * cos) / (2 * halfH) + 0.5;
    const f = t - Math.floor(t);
    let shade = 0.62 + 0.38 * Math.sin(Math.PI * f); // round fingers
    if (f < 0.07 || f > 0.93) shade *= 0.55; // dark gap between fingers
    for (const k of knuckles) {
      const d = Math.abs(v - k);
      if (d < 0.015) shade *= 0.82 + 0.1 * Math.sin(Math.PI * f); // creases across each finger
    }
    shade *= 0.88 + 0.17 * (1 - Math.min(1, Math.max(0, v))); // light from the fingertips' side
    shade *= 1 + grain.uniform(-0.025, 0.025);
    return [tone[0] * shade, tone[1] * shade, tone[2] * shade];
  };
}

function sunglassesPainter(mask: ArrayLike<number>, width: number, height: number, seed: number): Painter {
  const box = bbox(mask, width, height)!;
  const rng = new Rng(seed ^ 0x53554e47);
  const tint: [number, number, number] = [rng.uniform(0.03, 0.07), rng.uniform(0.03, 0.07), rng.uniform(0.04, 0.09)];
  const dist = edgeDistance(mask, width, height);
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const frame = Math.max(1, Math.round(Math.min(bw, bh) * 0.07));
  const glint = rng.uniform(0.22, 0.34);
  return (x, y) => {
    if (dist[y * width + x] <= frame) return [0.015, 0.015, 0.018];
    const s = ((x + 0.5 - box.x0) / bw + (y + 0.5 - box.y0) / bh) / 2;
    const highlight = 0.5 * Math.exp(-(((s - glint) / 0.045) ** 2)) + 0.22 * Math.exp(-(((s - glint - 0.12) / 0.02) ** 2));
    const lift = 0.07 * ((y + 0.5 - box.y0) / bh); // lenses lighter towards the bottom
    return [tint[0] + lift + highlight, tint[1] + lift + highlight, tint[2] + lift * 1.2 + highlight * 1.05];
  };
}

/**
 * A copy of `image` with the pixels where `mask` ([H, W], non-zero = removed) is set
 * replaced by `fill`. Pixels outside the mask are copied bit for bit.
 */
export function applyMask<T extends MaskableImage["data"]>(
  image: { data: T; width: number; height: number; channels?: number },
  mask: ArrayLike<number>,
  fill: Fill,
  { seed = 0 }: FillOptions = {},
): T {
  const { data, width, height } = image;
  const pixels = width * height;
  if (mask.length !== pixels) throw new Error(`mask has ${mask.length} pixels but the image is ${width} x ${height}`);
  const channels = image.channels ?? data.length / pixels;
  if (!(channels === 3 || channels === 4) || data.length !== pixels * channels) {
    throw new Error(`image data of ${data.length} values is not ${width} x ${height} x 3 or 4`);
  }
  const scale = data instanceof Float32Array ? 1 : 255;
  const out = data.slice() as T;
  const put = (i: number, rgb: readonly [number, number, number]) => {
    for (let c = 0; c < 3; c++) {
      const v = Math.min(1, Math.max(0, rgb[c]));
      out[i * channels + c] = scale === 1 ? v : Math.round(v * 255);
    }
  };
  if (!bbox(mask, width, height)) return out;
  let painter: Painter;
  if (typeof fill === "object") {
    const color = fill.color;
    painter = () => [color[0], color[1], color[2]];
  } else {
    switch (fill) {
      case "black":
        painter = () => [0, 0, 0];
        break;
      case "gray":
        painter = () => [0.5, 0.5, 0.5];
        break;
      case "noise": {
        const rng = new Rng(seed);
        painter = () => [rng.next(), rng.next(), rng.next()];
        break;
      }
      case "mean": {
        const sum = [0, 0, 0];
        let n = 0;
        for (let i = 0; i < pixels; i++) {
          if (mask[i]) continue;
          for (let c = 0; c < 3; c++) sum[c] += data[i * channels + c] / scale;
          n++;
        }
        const mean: [number, number, number] = n ? [sum[0] / n, sum[1] / n, sum[2] / n] : [0.5, 0.5, 0.5];
        painter = () => mean;
        break;
      }
      case "hand":
        painter = handPainter(mask, width, height, seed);
        break;
      case "sunglasses":
        painter = sunglassesPainter(mask, width, height, seed);
        break;
      default:
        throw new Error(`unknown fill "${fill as string}": choose one of ${FILL_KINDS.join(", ")} or { color: [r, g, b] }`);
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (mask[y * width + x]) put(y * width + x, painter(x, y));
  }
  return out;
}
