// The tiny MAE shipped in src/checkpoints reconstructs held-out faces (subjects of
// fold 1, which pretraining excluded) at 50% random masking far better than filling
// the removed patches with the mean colour of the visible pixels.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { imageBytes } from "../../../src/lib/data/dataset.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { normalizeImages } from "../../../src/lib/data/normalize.js";
import { applyMask } from "../../../src/lib/masks/fill.js";
import { patchToPixel } from "../../../src/lib/masks/convert.js";
import { randomMasking } from "../../../src/lib/masks/random.js";
import { loadMae } from "../../../src/lib/models/mae-checkpoint.js";
import { reconstructImages } from "../../../src/lib/models/reconstruct.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

const FILE = "src/checkpoints/mae-tiny.safetensors";

beforeAll(async () => {
  await initNodeBackend("wasm");
});

/** Mean squared error over the removed pixels, in normalised (ImageNet) units. */
function removedMse(a: Uint8Array, b: Uint8Array, pixelMasks: Uint8Array, size: number): number {
  const na = normalizeImages(a, size).data;
  const nb = normalizeImages(b, size).data;
  let sum = 0;
  let n = 0;
  for (let p = 0; p < pixelMasks.length; p++) {
    if (!pixelMasks[p]) continue;
    for (let c = 0; c < 3; c++) sum += (na[p * 3 + c] - nb[p * 3 + c]) ** 2;
    n += 3;
  }
  return sum / n;
}

describe("shipped tiny MAE", () => {
  it("loads with its metadata and reconstructs held-out faces at 50% masking better than a mean fill", async () => {
    const { mae, meta } = loadMae(new Uint8Array(readFileSync(FILE)), { source: FILE });
    expect(meta?.model).toBe("mae");
    expect(meta?.createdBy).toMatch(/^maskau pretrain /);
    expect((meta?.dataset as { heldOutFold?: number }).heldOutFold).toBe(1);
    const size = mae.config.imgSize;
    const g = size / mae.config.patchSize;
    const faces = generateFaceDataset({ preset: "bp4d", seed: 1, sequencesPerSubject: 1, framesPerSequence: 2, size });
    const held = Array.from(faces.fold.keys()).filter((i) => faces.fold[i] === 0);
    expect(held.length).toBeGreaterThan(10);
    const ib = imageBytes(faces);
    const images = new Uint8Array(held.length * ib);
    held.forEach((i, j) => images.set(faces.images.subarray(i * ib, (i + 1) * ib), j * ib));
    const { mask } = randomMasking(held.length, g * g, 0.5, 11);
    const out = await reconstructImages(mae, images, mask);
    const pixelMasks = new Uint8Array(held.length * size * size);
    const meanFilled = new Uint8Array(images.length);
    for (let j = 0; j < held.length; j++) {
      const pm = patchToPixel(mask.subarray(j * g * g, (j + 1) * g * g), g, mae.config.patchSize);
      pixelMasks.set(pm, j * size * size);
      meanFilled.set(applyMask({ data: images.subarray(j * ib, (j + 1) * ib), width: size, height: size }, pm, "mean"), j * ib);
    }
    const maeError = removedMse(out.composite, images, pixelMasks, size);
    const meanError = removedMse(meanFilled, images, pixelMasks, size);
    console.log(`held-out faces: ${held.length}; MSE on removed pixels at 50% masking: MAE ${maeError.toFixed(4)}, mean fill ${meanError.toFixed(4)} (ratio ${(maeError / meanError).toFixed(2)})`);
    expect(maeError).toBeLessThan(0.5 * meanError);
    mae.dispose();
  });
});
