// An occlusion as one value that fits in a URL: what the Occlusion lab shows and what
// the evaluation sweeps apply. The MAE removes whole patches, so every kind yields a
// patch mask [L] (1 = removed) and the pixel mask it implies; the pixels the MAE
// reconstructs are exactly the pixels shown as occluded.
import { blockPatchMask } from "./block.js";
import { patchToPixel } from "./convert.js";
import { paintPatchMask, type Stroke } from "./paint.js";
import { randomMasking } from "./random.js";
import { MASK_REGIONS, regionPatchMask, type MaskRegion } from "./region.js";

export type OcclusionSpec =
  | { kind: "none" }
  | { kind: "random"; ratio: number; seed: number }
  | { kind: "block"; area: number; cx: number; cy: number; aspect: number }
  | { kind: "region"; region: MaskRegion }
  | { kind: "paint"; strokes: Stroke[]; threshold: number };

export interface OcclusionMasks {
  /** [L] 1 = removed. */
  patchMask: Float32Array;
  /** [H, W] 1 = removed (the removed patches' pixels). */
  pixelMask: Uint8Array;
  removed: number;
}

export function occlusionMasks(spec: OcclusionSpec, imageSize: number, patch: number): OcclusionMasks {
  if (imageSize % patch !== 0) throw new Error(`image size ${imageSize} is not a multiple of the patch size ${patch}`);
  const g = imageSize / patch;
  let patchMask: Float32Array;
  switch (spec.kind) {
    case "none":
      patchMask = new Float32Array(g * g);
      break;
    case "random":
      patchMask = spec.ratio === 0 ? new Float32Array(g * g) : randomMasking(1, g * g, spec.ratio, spec.seed).mask;
      break;
    case "block":
      patchMask = blockPatchMask(g, { area: spec.area, cx: spec.cx, cy: spec.cy, aspect: spec.aspect });
      break;
    case "region":
      patchMask = regionPatchMask(g, patch, spec.region);
      break;
    case "paint":
      patchMask = paintPatchMask(g, patch, spec.strokes, spec.threshold);
      break;
  }
  let removed = 0;
  for (const v of patchMask) removed += v;
  return { patchMask, pixelMask: patchToPixel(patchMask, g, patch), removed };
}

const round = (x: number, d = 3) => Number(x.toFixed(d));

/** Compact text form for URLs: "random:0.5:7", "block:0.3:0.5:0.5:1", "region:eyes", "paint:0.5:r,x,y,x,y;...". */
export function formatOcclusion(spec: OcclusionSpec): string {
  switch (spec.kind) {
    case "none":
      return "none";
    case "random":
      return `random:${round(spec.ratio)}:${spec.seed}`;
    case "block":
      return `block:${round(spec.area)}:${round(spec.cx)}:${round(spec.cy)}:${round(spec.aspect)}`;
    case "region":
      return `region:${spec.region}`;
    case "paint":
      return `paint:${round(spec.threshold)}:` + spec.strokes.map((s) => [round(s.radius, 1), ...s.points.flatMap((p) => [round(p.x, 1), round(p.y, 1)])].join(",")).join(";");
  }
}

function numbers(parts: string[], text: string): number[] {
  const out = parts.map(Number);
  if (out.some((x) => !Number.isFinite(x))) throw new Error(`occlusion "${text}": expected numbers`);
  return out;
}

/** Parses formatOcclusion's text; throws with an example on bad input. */
export function parseOcclusion(text: string): OcclusionSpec {
  const [kind, ...rest] = text.split(":");
  switch (kind) {
    case "none":
      return { kind: "none" };
    case "random": {
      const [ratio, seed = 0] = numbers(rest, text);
      if (!(ratio >= 0 && ratio < 1)) throw new Error(`occlusion "${text}": the ratio must be in [0, 1)`);
      return { kind: "random", ratio, seed: Math.trunc(seed) };
    }
    case "block": {
      const [area, cx = 0.5, cy = 0.5, aspect = 1] = numbers(rest, text);
      if (!(area > 0 && area <= 1)) throw new Error(`occlusion "${text}": the block area must be in (0, 1]`);
      return { kind: "block", area, cx, cy, aspect };
    }
    case "region": {
      const region = rest[0] as MaskRegion;
      if (!MASK_REGIONS.includes(region)) throw new Error(`occlusion "${text}": unknown region (choose ${MASK_REGIONS.join(", ")})`);
      return { kind: "region", region };
    }
    case "paint": {
      const [threshold] = numbers([rest[0] ?? "0.5"], text);
      const body = rest.slice(1).join(":");
      const strokes: Stroke[] = body
        ? body.split(";").map((s) => {
            const [radius, ...xy] = numbers(s.split(","), text);
            const points = [];
            for (let i = 0; i + 1 < xy.length; i += 2) points.push({ x: xy[i], y: xy[i + 1] });
            return { radius, points };
          })
        : [];
      return { kind: "paint", strokes, threshold };
    }
    default:
      throw new Error(`occlusion "${text}": unknown kind "${kind}" (e.g. random:0.5:1, block:0.3:0.5:0.5:1, region:eyes, paint:0.5:4,10,10,20,20)`);
  }
}
