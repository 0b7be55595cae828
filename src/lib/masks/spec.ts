// The occlusion grammar: one text form and one mask function, used by the pages
// (Occlusion lab, Teacher), the CLI (--occlusion), the evaluation, cached composites and
// page URLs, so that the same text means the same mask everywhere.
//
//   none
//   random:R[:SEED]            fraction R in [0, 1) of the MAE's patches removed by MAE's
//                              random masking (the paper's 50%: random:0.5)
//   block:A                    one block covering fraction A in (0, 1] of the face, at a
//                              seeded random position per face (the paper's protocol and
//                              Table 2's block:0.3)
//   block:A:random[:SEED]      the same, explicit (written block:A when SEED is 0)
//   block:A:center             the block centred, = block:A:0.5:0.5
//   block:A:CX:CY[:ASPECT]     the block at a fixed centre in face coordinates [0, 1],
//                              width / height ASPECT (default 1)
//   region:NAME                a facial region (brows, eyes, nose, mouth, ...) or a half
//   paint:T[:R,X,Y,...;...]    painted strokes (radius, then the path's points, in pixels);
//                              a patch is removed when fraction T of its pixels is painted
//
// The canonical text (formatOcclusion) leaves out defaults (seed 0, aspect 1) and writes
// numbers as JavaScript's shortest exact decimal (-0 as 0), so parse(format(spec)) is spec and
// format(parse(text)) is the canonical form of text.
//
// A mask is a function of (spec, key, grid): the MAE removes whole patches, so every
// kind yields a patch mask [L] (1 = removed), whose pixels are exactly the pixels the MAE
// reconstructs. The key is what makes masks differ between faces (keys.ts): the frame
// index for evaluation and the composites it reads (so that the occluded and composite
// conditions see the same occlusion of a frame), variantKey(frame, v) for further cached
// composites, stepMaskKeys(seed, step, B) for masks drawn afresh at every training step:
//   random         randomMasking(1, L, R, mixSeed(SEED, key, 0x0cc1))
//   random block   randomBlockPatchMasks(1, grid, A, mixSeed(SEED, key, 0xb10c))
//   fixed block, region, paint, none: the same mask for every key.
import { mixSeed } from "../data/prng.js";
import { blockPatchMask, randomBlockPatchMasks } from "./block.js";
import { patchToPixel } from "./convert.js";
import { paintPatchMask, type Point } from "./paint.js";
import { randomMasking } from "./random.js";
import { MASK_REGIONS, regionPatchMask, type MaskRegion } from "./region.js";

/** A painted stroke: a path in pixel coordinates and a brush radius in pixels. */
export interface PaintStroke {
  radius: number;
  points: Point[];
}

/** One block at a seeded random position per face (key). */
export interface RandomBlockSpec {
  kind: "block";
  area: number;
  placement: "random";
  seed: number;
}

/** One block at a fixed centre (face coordinates in [0, 1]) with a width / height aspect. */
export interface FixedBlockSpec {
  kind: "block";
  area: number;
  placement: "fixed";
  cx: number;
  cy: number;
  aspect: number;
}

export type OcclusionSpec =
  | { kind: "none" }
  | { kind: "random"; ratio: number; seed: number }
  | RandomBlockSpec
  | FixedBlockSpec
  | { kind: "region"; region: MaskRegion }
  | { kind: "paint"; strokes: PaintStroke[]; threshold: number };

export type OcclusionKind = OcclusionSpec["kind"];
export const OCCLUSION_KINDS: readonly OcclusionKind[] = ["none", "random", "block", "region", "paint"];

export const NO_OCCLUSION: OcclusionSpec = Object.freeze({ kind: "none" });

const EXAMPLES: Record<OcclusionKind, string> = {
  none: "none",
  random: "random:0.5 or random:0.5:7",
  block: "block:0.3, block:0.3:random:7, block:0.3:center or block:0.3:0.5:0.4:1.5",
  region: `region:eyes (regions: ${MASK_REGIONS.join(", ")})`,
  paint: "paint:0.5:4,10,10,20,20",
};

const FORMS: Record<OcclusionKind, string> = {
  none: "none",
  random: "random:RATIO[:SEED]",
  block: "block:AREA, block:AREA:random[:SEED], block:AREA:center or block:AREA:CX:CY[:ASPECT]",
  region: "region:NAME",
  paint: "paint:THRESHOLD[:RADIUS,X,Y,X,Y...;...]",
};

/** An occlusion that is not one: a text the grammar does not read, or a spec out of range. */
export class OcclusionError extends Error {
  override name = "OcclusionError";
}

/** Longest stretch of a rejected text quoted in its message. */
const QUOTED = 200;

/** Throws for the occlusion `what` (its text, quoted, or a spec): the problem and examples. */
function fail(what: string, problem: string, kind?: OcclusionKind): never {
  const example = kind ? EXAMPLES[kind] : "none, random:0.5, block:0.3, block:0.3:center, region:eyes or paint:0.5:4,10,10,20,20";
  const shown = what.length > QUOTED ? `${what.slice(0, QUOTED)}... (${what.length} characters)` : what;
  const said = problem.length > QUOTED ? `${problem.slice(0, QUOTED)}...` : problem;
  throw new OcclusionError(`occlusion ${shown}: ${said} (e.g. ${example})`);
}

// A plain decimal: "0.5", ".5", "-2", "1e-7". Number() alone would also take "", " ", "0x10".
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** What is wrong with a spec (null when it is valid). */
export function occlusionProblem(spec: OcclusionSpec): string | null {
  const isSeed = (s: number) => Number.isSafeInteger(s);
  const finite = (...xs: number[]) => xs.every((x) => typeof x === "number" && Number.isFinite(x));
  switch (spec.kind) {
    case "none":
      return null;
    case "random":
      if (!(finite(spec.ratio) && spec.ratio >= 0 && spec.ratio < 1)) return `RATIO must be in [0, 1), got ${spec.ratio}`;
      return isSeed(spec.seed) ? null : `SEED must be an integer, got ${spec.seed}`;
    case "block":
      if (!(finite(spec.area) && spec.area > 0 && spec.area <= 1)) return `AREA must be in (0, 1], got ${spec.area}`;
      if (spec.placement === "random") return isSeed(spec.seed) ? null : `SEED must be an integer, got ${spec.seed}`;
      if (spec.placement !== "fixed") return `unknown block placement "${(spec as { placement: unknown }).placement}": random or fixed`;
      if (!(finite(spec.cx, spec.cy) && spec.cx >= 0 && spec.cx <= 1 && spec.cy >= 0 && spec.cy <= 1)) return `CX and CY must be in [0, 1], got ${spec.cx}, ${spec.cy}`;
      return finite(spec.aspect) && spec.aspect > 0 ? null : `ASPECT must be positive, got ${spec.aspect}`;
    case "region":
      return MASK_REGIONS.includes(spec.region) ? null : `unknown region "${spec.region}"`;
    case "paint":
      if (!(finite(spec.threshold) && spec.threshold >= 0 && spec.threshold <= 1)) return `THRESHOLD must be in [0, 1], got ${spec.threshold}`;
      for (const [i, s] of spec.strokes.entries()) {
        if (!(finite(s.radius) && s.radius >= 0)) return `stroke ${i + 1}: RADIUS must be a number >= 0, got ${s.radius}`;
        if (s.points.length === 0) return `stroke ${i + 1} has no points`;
        if (!s.points.every((p) => finite(p.x, p.y))) return `stroke ${i + 1}: points must be numbers`;
      }
      return null;
    default:
      return `unknown kind "${(spec as { kind: unknown }).kind}"`;
  }
}

/** Throws (naming the problem, with examples) unless the spec is valid. */
export function checkOcclusion(spec: OcclusionSpec): OcclusionSpec {
  const problem = occlusionProblem(spec);
  if (problem) fail(JSON.stringify(spec), problem, OCCLUSION_KINDS.includes(spec.kind) ? spec.kind : undefined);
  return spec;
}

const num = (x: number) => String(x);

/** The canonical text of a spec (see the header); throws on an invalid spec. */
export function formatOcclusion(spec: OcclusionSpec): string {
  checkOcclusion(spec);
  switch (spec.kind) {
    case "none":
      return "none";
    case "random":
      return `random:${num(spec.ratio)}${spec.seed ? `:${spec.seed}` : ""}`;
    case "block":
      if (spec.placement === "random") return `block:${num(spec.area)}${spec.seed ? `:random:${spec.seed}` : ""}`;
      return `block:${num(spec.area)}:${num(spec.cx)}:${num(spec.cy)}${spec.aspect === 1 ? "" : `:${num(spec.aspect)}`}`;
    case "region":
      return `region:${spec.region}`;
    case "paint": {
      const strokes = spec.strokes.map((s) => [s.radius, ...s.points.flatMap((p) => [p.x, p.y])].map(num).join(","));
      return `paint:${num(spec.threshold)}${strokes.length ? `:${strokes.join(";")}` : ""}`;
    }
  }
}

/** Parses an occlusion (any form of the header); throws naming the problem, with examples. */
export function parseOcclusion(text: string): OcclusionSpec {
  const t = String(text).trim();
  const q = JSON.stringify(t);
  const [kind, ...rest] = t.split(":");
  if (!OCCLUSION_KINDS.includes(kind as OcclusionKind)) fail(q, `unknown kind "${kind}": choose ${OCCLUSION_KINDS.join(", ")}`);
  const k = kind as OcclusionKind;
  const number = (s: string, what: string): number => {
    if (!DECIMAL.test(s)) fail(q, `${what} must be a number, got "${s}"`, k);
    return Number(s) + 0; // "-0" reads as 0, which is what the canonical text writes for either
  };
  const seed = (s: string): number => {
    const x = number(s, "SEED");
    if (!Number.isSafeInteger(x)) fail(q, `SEED must be an integer, got "${s}"`, k);
    return x;
  };
  const checked = (spec: OcclusionSpec): OcclusionSpec => {
    const problem = occlusionProblem(spec);
    if (problem) fail(q, problem, k);
    return spec;
  };
  switch (k) {
    case "none":
      if (rest.length) fail(q, `"none" takes no parameters`, k);
      return { kind: "none" };
    case "random":
      if (rest.length < 1 || rest.length > 2) fail(q, `expected ${FORMS.random}`, k);
      return checked({ kind: "random", ratio: number(rest[0], "RATIO"), seed: rest.length > 1 ? seed(rest[1]) : 0 });
    case "block": {
      if (rest.length < 1) fail(q, `expected ${FORMS.block}`, k);
      const area = number(rest[0], "AREA");
      const at = rest.slice(1);
      if (at.length === 0) return checked({ kind: "block", area, placement: "random", seed: 0 });
      if (at[0] === "random") {
        if (at.length > 2) fail(q, `expected block:AREA:random[:SEED]`, k);
        return checked({ kind: "block", area, placement: "random", seed: at.length > 1 ? seed(at[1]) : 0 });
      }
      if (at[0] === "center") {
        if (at.length > 1) fail(q, `"center" takes nothing after it (for another aspect write block:AREA:0.5:0.5:ASPECT)`, k);
        return checked({ kind: "block", area, placement: "fixed", cx: 0.5, cy: 0.5, aspect: 1 });
      }
      if (at.length !== 2 && at.length !== 3) fail(q, `expected ${FORMS.block}`, k);
      const [cx, cy, aspect = 1] = at.map((s, i) => number(s, ["CX", "CY", "ASPECT"][i]));
      return checked({ kind: "block", area, placement: "fixed", cx, cy, aspect });
    }
    case "region":
      if (rest.length !== 1) fail(q, `expected ${FORMS.region}`, k);
      return checked({ kind: "region", region: rest[0] as MaskRegion });
    case "paint": {
      if (rest.length > 2) fail(q, `expected ${FORMS.paint}`, k);
      const threshold = rest.length ? number(rest[0], "THRESHOLD") : 0.5;
      const body = rest[1] ?? "";
      const strokes: PaintStroke[] = body
        ? body.split(";").map((s, i) => {
            const xs = s.split(",").map((v) => number(v, `stroke ${i + 1}`));
            if (xs.length < 3 || xs.length % 2 === 0) fail(q, `stroke ${i + 1} must be RADIUS,X,Y[,X,Y...] (a radius and whole points), got "${s}"`, k);
            const points: Point[] = [];
            for (let j = 1; j < xs.length; j += 2) points.push({ x: xs[j], y: xs[j + 1] });
            return { radius: xs[0], points };
          })
        : [];
      return checked({ kind: "paint", strokes, threshold });
    }
  }
}

/** The canonical spec of a text or spec: what parse(format(...)) gives. */
export function canonicalOcclusion(spec: OcclusionSpec | string): OcclusionSpec {
  return parseOcclusion(typeof spec === "string" ? spec : formatOcclusion(spec));
}

/**
 * A paint spec from a painter's strokes, with coordinates and radii rounded to a tenth of a
 * pixel so that the URL stays short and means exactly the mask shown.
 */
export function paintOcclusion(strokes: readonly PaintStroke[], threshold = 0.5): OcclusionSpec {
  const r = (x: number) => Math.round(x * 10) / 10;
  return checkOcclusion({ kind: "paint", threshold, strokes: strokes.map((s) => ({ radius: r(s.radius), points: s.points.map((p) => ({ x: r(p.x), y: r(p.y) })) })) });
}

/**
 * Patch masks [keys.length * grid^2] (1 = removed) of a grid x grid patch grid of
 * `patch`-pixel patches, one per key (see the header for how a key picks the mask).
 */
export function occlusionPatchMasks(spec: OcclusionSpec, keys: ArrayLike<number>, grid: number, patch: number): Float32Array {
  checkOcclusion(spec);
  if (!(Number.isInteger(grid) && grid > 0 && Number.isInteger(patch) && patch > 0)) throw new Error(`occlusion masks need a positive integer grid and patch, got ${grid} and ${patch}`);
  const L = grid * grid;
  const out = new Float32Array(keys.length * L);
  if (spec.kind === "none") return out;
  // Masks that do not depend on the key, computed once.
  let same: Float32Array | null = null;
  if (spec.kind === "block" && spec.placement === "fixed") same = blockPatchMask(grid, { area: spec.area, cx: spec.cx, cy: spec.cy, aspect: spec.aspect });
  else if (spec.kind === "region") same = regionPatchMask(grid, patch, spec.region);
  else if (spec.kind === "paint") same = paintPatchMask(grid, patch, spec.strokes, spec.threshold);
  else if (spec.kind === "random" && spec.ratio === 0) return out;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    let mask: Float32Array;
    if (same) mask = same;
    else if (spec.kind === "random") mask = randomMasking(1, L, spec.ratio, mixSeed(spec.seed, key, 0x0cc1)).mask;
    else mask = randomBlockPatchMasks(1, grid, (spec as RandomBlockSpec).area, mixSeed((spec as RandomBlockSpec).seed, key, 0xb10c));
    out.set(mask, i * L);
  }
  return out;
}

export interface OcclusionMasks {
  /** [L] 1 = removed. */
  patchMask: Float32Array;
  /** [H, W] 1 = removed (the removed patches' pixels). */
  pixelMask: Uint8Array;
  removed: number;
}

/** The mask of one image (key: its frame index; 0 for an image from elsewhere), with its pixels. */
export function occlusionMasks(spec: OcclusionSpec, key: number, imageSize: number, patch: number): OcclusionMasks {
  if (imageSize % patch !== 0) throw new Error(`image size ${imageSize} is not a multiple of the patch size ${patch}`);
  const g = imageSize / patch;
  const patchMask = occlusionPatchMasks(spec, [key], g, patch);
  let removed = 0;
  for (const v of patchMask) removed += v;
  return { patchMask, pixelMask: patchToPixel(patchMask, g, patch), removed };
}
