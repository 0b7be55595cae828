// Occlude-and-reconstruct: the MAE removes exactly the masked patches, the composite
// keeps every visible pixel, and mixed removal counts in one batch are handled.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { createMae, maskingFromNoise } from "../../../src/lib/models/mae.js";
import { noiseForMask, reconstruct, reconstructImages } from "../../../src/lib/models/reconstruct.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

beforeAll(async () => {
  await initNodeBackend("wasm");
});

describe("reconstruct", () => {
  it("turns a patch mask into noise and a ratio that random_masking keeps exactly", () => {
    for (const removedCount of [0, 1, 7, 32, 63]) {
      const L = 64;
      const mask = Array.from({ length: L }, (_, l) => ((l * 37) % L < removedCount ? 1 : 0));
      const { noise, ratio } = noiseForMask(mask, L);
      const plan = maskingFromNoise(noise, 1, L, ratio);
      expect(Array.from(plan.mask)).toEqual(mask);
    }
    expect(() => noiseForMask(new Array(4).fill(1), 4)).toThrow(/at least one visible patch/);
  });

  it("keeps visible pixels in the composite, for images with different numbers of removed patches", async () => {
    const config = { ...MAE_PRESETS.tiny, imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2, decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 2 };
    const mae = createMae(config, { seed: 3 });
    const L = 16;
    const mask = new Float32Array(2 * L);
    mask.set([1, 1, 0, 0, 1], 0); // image 0: 3 removed
    mask.set([0, 0, 0, 0, 0, 0, 0, 1], L); // image 1: 1 removed
    const images = Uint8Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => (i * 31) % 256);
    const before = tf.memory().numTensors;
    const out = await reconstructImages(mae, images, mask);
    expect(tf.memory().numTensors).toBe(before);
    for (let b = 0; b < 2; b++) {
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          const removed = mask[b * L + Math.floor(y / 4) * 4 + Math.floor(x / 4)] === 1;
          for (let c = 0; c < 3; c++) {
            const i = ((b * 16 + y) * 16 + x) * 3 + c;
            if (removed) expect(out.composite[i]).toBe(out.reconstruction[i]);
            else expect(Math.abs(out.composite[i] - images[i])).toBeLessThanOrEqual(1);
          }
        }
      }
    }
    expect(out.removedError[0]).toBeGreaterThan(0);
    mae.dispose();
  });

  it("refuses a model trained with norm_pix_loss", () => {
    const mae = createMae({ ...MAE_PRESETS.tiny, imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2, decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 2, normPixLoss: true });
    const imgs = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    expect(() => reconstruct(mae, imgs, new Float32Array(16))).toThrow(/norm_pix_loss/);
    imgs.dispose();
    mae.dispose();
  });
});
