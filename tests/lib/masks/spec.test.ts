import { describe, expect, it } from "vitest";
import { fnv1a64 } from "../../../src/lib/data/hash.js";
import { mixSeed } from "../../../src/lib/data/prng.js";
import { blockPatchMask, randomBlockPatchMasks } from "../../../src/lib/masks/block.js";
import { stepMaskKeys, variantKey } from "../../../src/lib/masks/keys.js";
import { randomMasking } from "../../../src/lib/masks/random.js";
import { regionPatchMask } from "../../../src/lib/masks/region.js";
import {
  canonicalOcclusion,
  formatOcclusion,
  occlusionMasks,
  occlusionPatchMasks,
  paintOcclusion,
  parseOcclusion,
  type OcclusionSpec,
} from "../../../src/lib/masks/spec.js";

const count = (m: ArrayLike<number>, from = 0, to = m.length) => {
  let n = 0;
  for (let i = from; i < to; i++) n += m[i];
  return n;
};
const row = (m: Float32Array, k: number, L: number) => Array.from(m.subarray(k * L, (k + 1) * L));

/** Every form of the grammar: text, its canonical form, and the spec both mean. */
const FORMS: [text: string, canonical: string, spec: OcclusionSpec][] = [
  ["none", "none", { kind: "none" }],
  [" none ", "none", { kind: "none" }],
  ["random:0.5", "random:0.5", { kind: "random", ratio: 0.5, seed: 0 }],
  ["random:0.5:0", "random:0.5", { kind: "random", ratio: 0.5, seed: 0 }],
  ["random:.5:7", "random:0.5:7", { kind: "random", ratio: 0.5, seed: 7 }],
  ["random:0.50:-3", "random:0.5:-3", { kind: "random", ratio: 0.5, seed: -3 }],
  ["random:0", "random:0", { kind: "random", ratio: 0, seed: 0 }],
  ["random:0.123456789", "random:0.123456789", { kind: "random", ratio: 0.123456789, seed: 0 }],
  ["random:1e-3:2", "random:0.001:2", { kind: "random", ratio: 0.001, seed: 2 }],
  ["block:0.3", "block:0.3", { kind: "block", area: 0.3, placement: "random", seed: 0 }],
  ["block:0.3:random", "block:0.3", { kind: "block", area: 0.3, placement: "random", seed: 0 }],
  ["block:0.3:random:0", "block:0.3", { kind: "block", area: 0.3, placement: "random", seed: 0 }],
  ["block:0.3:random:12", "block:0.3:random:12", { kind: "block", area: 0.3, placement: "random", seed: 12 }],
  ["block:1", "block:1", { kind: "block", area: 1, placement: "random", seed: 0 }],
  ["block:0.3:center", "block:0.3:0.5:0.5", { kind: "block", area: 0.3, placement: "fixed", cx: 0.5, cy: 0.5, aspect: 1 }],
  ["block:0.3:0.5:0.5", "block:0.3:0.5:0.5", { kind: "block", area: 0.3, placement: "fixed", cx: 0.5, cy: 0.5, aspect: 1 }],
  // The Occlusion lab's old URLs wrote the aspect out.
  ["block:0.3:0.5:0.5:1", "block:0.3:0.5:0.5", { kind: "block", area: 0.3, placement: "fixed", cx: 0.5, cy: 0.5, aspect: 1 }],
  ["block:0.25:0:1:2.5", "block:0.25:0:1:2.5", { kind: "block", area: 0.25, placement: "fixed", cx: 0, cy: 1, aspect: 2.5 }],
  ["block:0.3:0.4:0.7", "block:0.3:0.4:0.7", { kind: "block", area: 0.3, placement: "fixed", cx: 0.4, cy: 0.7, aspect: 1 }],
  ["region:eyes", "region:eyes", { kind: "region", region: "eyes" }],
  ["region:left-half", "region:left-half", { kind: "region", region: "left-half" }],
  ["paint", "paint:0.5", { kind: "paint", threshold: 0.5, strokes: [] }],
  ["paint:0.5:", "paint:0.5", { kind: "paint", threshold: 0.5, strokes: [] }],
  ["paint:0.25:4,10,12,30.5,12", "paint:0.25:4,10,12,30.5,12", { kind: "paint", threshold: 0.25, strokes: [{ radius: 4, points: [{ x: 10, y: 12 }, { x: 30.5, y: 12 }] }] }],
  [
    "paint:0.5:4,10,12;2.5,40,41,42,43.25",
    "paint:0.5:4,10,12;2.5,40,41,42,43.25",
    { kind: "paint", threshold: 0.5, strokes: [{ radius: 4, points: [{ x: 10, y: 12 }] }, { radius: 2.5, points: [{ x: 40, y: 41 }, { x: 42, y: 43.25 }] }] },
  ],
];

describe("the occlusion grammar", () => {
  it("parses every form to its spec and formats it canonically", () => {
    for (const [text, canonical, spec] of FORMS) {
      expect(parseOcclusion(text), text).toEqual(spec);
      expect(formatOcclusion(parseOcclusion(text)), text).toBe(canonical);
      // format(parse(t)) round-trips: the canonical text parses to the same spec and formats to itself.
      expect(parseOcclusion(canonical), canonical).toEqual(spec);
      expect(formatOcclusion(parseOcclusion(canonical)), canonical).toBe(canonical);
      // parse(format(s)) is s.
      expect(parseOcclusion(formatOcclusion(spec)), canonical).toEqual(spec);
      expect(canonicalOcclusion(text)).toEqual(spec);
    }
  });

  it("round-trips many generated specs, also through a URL's query string", () => {
    let state = 12345;
    const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const specs: OcclusionSpec[] = [];
    for (let i = 0; i < 400; i++) {
      const r = rand();
      const seed = pick([0, 1, 7, -2, 123456789, 2 ** 40]);
      const x = pick([0, 1, 0.5, rand(), Math.round(rand() * 100) / 100]);
      if (r < 0.25) specs.push({ kind: "random", ratio: Math.min(x, 0.999), seed });
      else if (r < 0.45) specs.push({ kind: "block", area: Math.max(x, 0.01), placement: "random", seed });
      else if (r < 0.7) specs.push({ kind: "block", area: Math.max(rand(), 0.01), placement: "fixed", cx: x, cy: rand(), aspect: pick([1, 0.5, 2, rand() + 0.1]) });
      else if (r < 0.8) specs.push({ kind: "region", region: pick(["brows", "eyes", "nose", "mouth", "chin", "lower-half"] as const) });
      else if (r < 0.95) {
        const strokes = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ({
          radius: Math.round(rand() * 80) / 10,
          points: Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({ x: rand() * 64, y: rand() * 64 })),
        }));
        specs.push({ kind: "paint", threshold: pick([0.5, rand()]), strokes });
      } else specs.push({ kind: "none" });
    }
    for (const spec of specs) {
      const text = formatOcclusion(spec);
      expect(parseOcclusion(text), text).toEqual(spec);
      expect(formatOcclusion(parseOcclusion(text))).toBe(text);
      const url = new URL("http://localhost/pages/occlusion-lab");
      url.searchParams.set("occlusion", text);
      url.searchParams.set("face", "2");
      const back = new URLSearchParams(new URL(url.href).search).get("occlusion")!;
      expect(back).toBe(text);
      expect(parseOcclusion(back)).toEqual(spec);
    }
  });

  it("reads the Occlusion lab's and Teacher page's old URLs", () => {
    for (const [query, spec] of [
      ["?occlusion=random:0.5:1", { kind: "random", ratio: 0.5, seed: 1 }],
      ["?occlusion=random%3A0.5%3A3&face=2", { kind: "random", ratio: 0.5, seed: 3 }],
      ["?occlusion=block:0.3:0.5:0.5:1", { kind: "block", area: 0.3, placement: "fixed", cx: 0.5, cy: 0.5, aspect: 1 }],
      ["?occlusion=block%3A0.45%3A0.25%3A0.75%3A1", { kind: "block", area: 0.45, placement: "fixed", cx: 0.25, cy: 0.75, aspect: 1 }],
      ["?occlusion=region:mouth", { kind: "region", region: "mouth" }],
      ["?occlusion=paint%3A0.5%3A5%2C20.3%2C31%3B5%2C22%2C33.1", { kind: "paint", threshold: 0.5, strokes: [{ radius: 5, points: [{ x: 20.3, y: 31 }] }, { radius: 5, points: [{ x: 22, y: 33.1 }] }] }],
    ] as const) {
      expect(parseOcclusion(new URLSearchParams(query).get("occlusion")!), query).toEqual(spec);
    }
  });

  it("rejects malformed text, naming the problem and giving examples", () => {
    const cases: [string, RegExp][] = [
      ["", /unknown kind ""/],
      ["blob:1", /unknown kind "blob": choose none, random, block, region, paint.*e\.g\. none, random:0\.5, block:0\.3/],
      ["Random:0.5", /unknown kind "Random"/],
      ["none:1", /"none" takes no parameters/],
      ["random", /expected random:RATIO\[:SEED\].*e\.g\. random:0\.5/],
      ["random:", /RATIO must be a number, got ""/],
      ["random:abc", /RATIO must be a number, got "abc"/],
      ["random:0x10", /RATIO must be a number/],
      ["random:1", /RATIO must be in \[0, 1\), got 1/],
      ["random:1.5", /RATIO must be in \[0, 1\)/],
      ["random:-0.1", /RATIO must be in \[0, 1\)/],
      ["random:0.5:1.5", /SEED must be an integer, got "1\.5"/],
      ["random:0.5:1:2", /expected random:RATIO\[:SEED\]/],
      ["block", /expected block:AREA, block:AREA:random\[:SEED\], block:AREA:center or block:AREA:CX:CY\[:ASPECT\]/],
      ["block:0", /AREA must be in \(0, 1\], got 0/],
      ["block:1.2", /AREA must be in \(0, 1\]/],
      ["block:0.3:0.5", /expected block:AREA, block:AREA:random/],
      ["block:0.3:2:0.5", /CX and CY must be in \[0, 1\]/],
      ["block:0.3:0.5:0.5:0", /ASPECT must be positive/],
      ["block:0.3:0.5:0.5:1:2", /expected block:AREA/],
      ["block:0.3:random:x", /SEED must be a number, got "x"/],
      ["block:0.3:random:1:2", /expected block:AREA:random\[:SEED\]/],
      ["block:0.3:center:2", /"center" takes nothing after it/],
      ["block:0.3:centre", /CX must be a number, got "centre"|expected block:AREA/],
      ["region", /expected region:NAME.*region:eyes/],
      ["region:ears", /unknown region "ears".*regions: brows, eyes/],
      ["paint:2", /THRESHOLD must be in \[0, 1\], got 2/],
      ["paint:0.5:4,10", /stroke 1 must be RADIUS,X,Y/],
      ["paint:0.5:4,10,10;3,1", /stroke 2 must be RADIUS,X,Y/],
      ["paint:0.5:-1,10,10", /stroke 1: RADIUS must be a number >= 0/],
      ["paint:0.5:4,a,10", /stroke 1 must be a number, got "a"/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseOcclusion(text), text).toThrow(message);
      expect(() => parseOcclusion(text), text).toThrow(new RegExp(`^occlusion "${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}": .*\\(e\\.g\\. `));
    }
  });

  it("refuses to format or mask an invalid spec", () => {
    expect(() => formatOcclusion({ kind: "random", ratio: 0.5, seed: 1.5 })).toThrow(/SEED must be an integer/);
    expect(() => formatOcclusion({ kind: "block", area: 0, placement: "random", seed: 0 })).toThrow(/AREA must be in/);
    expect(() => occlusionPatchMasks({ kind: "random", ratio: 2, seed: 0 }, [0], 8, 8)).toThrow(/RATIO must be in/);
  });

  it("rounds a painter's strokes to a tenth of a pixel, so the URL means the mask shown", () => {
    const spec = paintOcclusion([{ radius: 5, points: [{ x: 10.04, y: 20.96 }, { x: 11.55, y: 21 }] }]);
    expect(spec).toEqual({ kind: "paint", threshold: 0.5, strokes: [{ radius: 5, points: [{ x: 10, y: 21 }, { x: 11.6, y: 21 }] }] });
    expect(parseOcclusion(formatOcclusion(spec))).toEqual(spec);
  });
});

describe("occlusion masks", () => {
  it("keep the keys and seeds of the CLI's random and block masks (pinned before the grammars were merged)", () => {
    // Frames, cached-composite variants and per-step training keys, as evaluation and training use them.
    const keys: number[] = [];
    for (let f = 0; f < 200; f++) keys.push(f);
    for (let f = 0; f < 50; f++) for (const v of [1, 2, 3]) keys.push(variantKey(f, v));
    for (let s = 0; s < 20; s++) keys.push(...stepMaskKeys(3, s, 4));
    expect(fnv1a64(new Uint8Array(Int32Array.from(keys).buffer))).toBe("a58f05c5be8deb13");
    const pinned: Record<string, [string, string]> = {
      "random:0.5": ["3c3f75c4622019e5", "4e0b9531c178bf85"],
      "random:0.3:7": ["4117f707fa310ea5", "423338fffe83b5e5"],
      "random:0.7:2": ["6bad92314784da05", "6a385019baded125"],
      "block:0.3": ["cdee17048461ef65", "3d98e9846dcfa625"],
      "block:0.3:0.5:0.7": ["9cf1b52bde7bd565", "ff97d0a3c5698a25"],
    };
    for (const [text, [g8, g14]] of Object.entries(pinned)) {
      const spec = parseOcclusion(text);
      expect(fnv1a64(new Uint8Array(occlusionPatchMasks(spec, keys, 8, 8).buffer)), `${text} grid 8`).toBe(g8);
      expect(fnv1a64(new Uint8Array(occlusionPatchMasks(spec, keys, 14, 16).buffer)), `${text} grid 14`).toBe(g14);
    }
  });

  it("are the documented function of (spec, key, grid)", () => {
    const keys = [0, 5, 17, variantKey(3, 2), -7];
    const random = occlusionPatchMasks(parseOcclusion("random:0.5:4"), keys, 8, 8);
    const block = occlusionPatchMasks(parseOcclusion("block:0.3:random:4"), keys, 8, 8);
    keys.forEach((key, k) => {
      expect(row(random, k, 64)).toEqual(Array.from(randomMasking(1, 64, 0.5, mixSeed(4, key, 0x0cc1)).mask));
      expect(row(block, k, 64)).toEqual(Array.from(randomBlockPatchMasks(1, 8, 0.3, mixSeed(4, key, 0xb10c))));
    });
    // block:A is block:A:random:0; center is 0.5, 0.5; fixed blocks and regions ignore the key.
    expect(occlusionPatchMasks(parseOcclusion("block:0.3"), keys, 8, 8)).toEqual(occlusionPatchMasks(parseOcclusion("block:0.3:random:0"), keys, 8, 8));
    const center = occlusionPatchMasks(parseOcclusion("block:0.3:center"), keys, 8, 8);
    keys.forEach((_, k) => expect(row(center, k, 64)).toEqual(Array.from(blockPatchMask(8, { area: 0.3, cx: 0.5, cy: 0.5 }))));
    const eyes = occlusionPatchMasks(parseOcclusion("region:eyes"), keys, 8, 8);
    keys.forEach((_, k) => expect(row(eyes, k, 64)).toEqual(Array.from(regionPatchMask(8, 8, "eyes"))));
    expect(count(occlusionPatchMasks(parseOcclusion("none"), keys, 8, 8))).toBe(0);
    expect(count(occlusionPatchMasks(parseOcclusion("random:0"), keys, 8, 8))).toBe(0);
  });

  it("differ between faces for random kinds and repeat for the same key", () => {
    const keys = [0, 1, 2, 3, 1];
    const m = occlusionPatchMasks(parseOcclusion("random:0.5"), keys, 8, 8);
    for (let k = 0; k < keys.length; k++) expect(count(m, k * 64, (k + 1) * 64)).toBe(32);
    expect(row(m, 1, 64)).toEqual(row(m, 4, 64));
    expect(row(m, 0, 64)).not.toEqual(row(m, 1, 64));
    expect(row(occlusionPatchMasks(parseOcclusion("random:0.5:1"), [0], 8, 8), 0, 64)).not.toEqual(row(m, 0, 64));
    expect(row(occlusionPatchMasks(parseOcclusion("random:0.5"), [variantKey(1, 2)], 8, 8), 0, 64)).not.toEqual(row(m, 1, 64));
    const block = occlusionPatchMasks(parseOcclusion("block:0.3"), [0, 1, 2, 3, 4, 5], 8, 8);
    expect(new Set([0, 1, 2, 3, 4, 5].map((k) => row(block, k, 64).join(""))).size).toBeGreaterThan(1);
    expect(row(occlusionPatchMasks(parseOcclusion("block:0.3:random:1"), [0], 8, 8), 0, 64)).not.toEqual(row(block, 0, 64));
  });

  it("block:0.3 removes a 4 x 5 rectangle of 20 patches at 64 px with 8 px patches, wherever it lands", () => {
    const keys = Array.from({ length: 500 }, (_, i) => i);
    const m = occlusionPatchMasks(parseOcclusion("block:0.3"), keys, 8, 8);
    const shapes = new Set<string>();
    for (let k = 0; k < keys.length; k++) {
      expect(count(m, k * 64, (k + 1) * 64)).toBe(20);
      const cells = row(m, k, 64).flatMap((v, l) => (v ? [[l % 8, Math.floor(l / 8)]] : []));
      const w = Math.max(...cells.map((c) => c[0])) - Math.min(...cells.map((c) => c[0])) + 1;
      const h = Math.max(...cells.map((c) => c[1])) - Math.min(...cells.map((c) => c[1])) + 1;
      shapes.add(`${w}x${h}`);
    }
    expect([...shapes]).toEqual(["4x5"]);
  });

  it("give the pages patch masks whose pixels are exactly the removed patches, keyed by frame", () => {
    for (const [text] of FORMS) {
      const spec = parseOcclusion(text);
      for (const key of [0, 9]) {
        const { patchMask, pixelMask, removed } = occlusionMasks(spec, key, 64, 8);
        expect(patchMask).toEqual(occlusionPatchMasks(spec, [key], 8, 8));
        expect(removed).toBe(count(patchMask));
        const expected = Uint8Array.from({ length: 64 * 64 }, (_, p) => patchMask[Math.floor(p / 64 / 8) * 8 + Math.floor((p % 64) / 8)]);
        expect(Buffer.from(pixelMask).equals(Buffer.from(expected)), text).toBe(true);
      }
    }
    expect(occlusionMasks(parseOcclusion("random:0.5:1"), 3, 64, 8).removed).toBe(32);
    expect(occlusionMasks(parseOcclusion("random:0.7:1"), 3, 32, 8).removed).toBe(12); // L=16 keeps 4
    expect(() => occlusionMasks(parseOcclusion("none"), 0, 60, 8)).toThrow(/not a multiple of the patch size/);
  });
});
