// Fuzzing the image-file inspector (src/lib/io/image-file.ts), which reads an uploaded
// photo's header before the browser decodes it. It never throws: PNGs (1-24 px, 1-4
// channels) and JPEGs encoded here read back to their size, greyscale and alpha, whole;
// every strict prefix of one is cut short (or not recognised when too short to tell);
// mutated files give null or sizes that are whole numbers, quickly.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { describeNonImage, inspectImage, type ImageFileInfo } from "../../src/lib/io/image-file.js";
import { byteMutation, mutateBytes } from "./support/mutate.js";
import { FUZZ_LABEL, fuzzParams, HANG_MS } from "./support/settings.js";

type Picture = { width: number; height: number; channels: 1 | 2 | 3 | 4; seed: number };

function png({ width, height, channels, seed }: Picture): Uint8Array {
  return encodePng({ width, height, channels, data: Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 31 + seed) & 255) });
}

function jpg({ width, height, seed }: Picture): Uint8Array {
  const data = Buffer.from(Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 17 + seed) & 255));
  return new Uint8Array(jpeg.encode({ width, height, data }, 80).data);
}

// Encoded once (jpeg-js is slow): 48 pictures of sizes 1-24 px and every channel count.
const POOL = Array.from({ length: 48 }, (_, k) => {
  const p: Picture = { width: 1 + ((k * 7) % 24), height: 1 + ((k * 11 + 3) % 24), channels: (1 + (k % 4)) as Picture["channels"], seed: k };
  return { p, png: png(p), jpg: jpg(p) };
});
const pooled = fc.nat(POOL.length - 1).map((k) => POOL[k]);

/** inspectImage within the hang bound, never throwing; a result has whole, non-negative sizes. */
function inspect(bytes: Uint8Array): ImageFileInfo | null {
  const start = performance.now();
  const info = inspectImage(bytes);
  describeNonImage(bytes.subarray(0, 512));
  expect(performance.now() - start).toBeLessThan(HANG_MS);
  if (info) {
    for (const v of [info.width, info.height]) expect(Number.isSafeInteger(v) && v >= 0, `size ${v}`).toBe(true);
    expect(info.truncated === null || typeof info.truncated === "string").toBe(true);
  }
  return info;
}

describe(`image-file inspector fuzzing (${FUZZ_LABEL})`, () => {
  test.prop([pooled], fuzzParams(0.1))("a PNG reads back to its size, greyscale and alpha, whole", ({ p, png }) => {
    expect(inspect(png)).toEqual({ format: "png", width: p.width, height: p.height, grey: p.channels <= 2, alpha: p.channels % 2 === 0, cmyk: false, truncated: null });
  });

  test.prop([pooled], fuzzParams(0.1))("a JPEG reads back to its size, whole", ({ p, jpg }) => {
    expect(inspect(jpg)).toEqual({ format: "jpeg", width: p.width, height: p.height, grey: false, alpha: false, cmyk: false, truncated: null });
  });

  test.prop([pooled, fc.boolean(), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })], fuzzParams())("every strict prefix of a PNG or JPEG is cut short, or too short to recognise", (pic, isPng, keep) => {
    const whole = isPng ? pic.png : pic.jpg;
    const info = inspect(whole.subarray(0, Math.floor(whole.length * keep)));
    if (info) expect(info.truncated).toMatch(/ends before/);
  });

  test.prop([pooled, fc.boolean(), fc.array(byteMutation, { minLength: 1, maxLength: 4 })], fuzzParams())("mutated files: null or whole sizes, never a throw", (pic, isPng, mutations) => {
    inspect(mutateBytes(isPng ? pic.png : pic.jpg, mutations));
  });

  test.prop([fc.uint8Array({ maxLength: 300 })], fuzzParams())("random bytes: null or whole sizes, never a throw", (bytes) => {
    inspect(bytes);
  });
});
