import { describe, expect, it } from "vitest";
import { occludeImages } from "../../../src/lib/masks/occlude.js";

describe("occludeImages", () => {
  it("paints only the removed patches, with the fill", () => {
    const size = 16;
    const images = Uint8Array.from({ length: 2 * size * size * 3 }, (_, i) => (i * 7) % 251);
    const masks = new Float32Array(2 * 4);
    masks[1] = 1; // image 0, patch (0, 1)
    const out = occludeImages(images, size, masks, 8, "black");
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) {
          const i = (y * size + x) * 3 + c;
          expect(out[i]).toBe(y < 8 && x >= 8 ? 0 : images[i]);
          expect(out[size * size * 3 + i]).toBe(images[size * size * 3 + i]);
        }
    expect(() => occludeImages(images, size, new Float32Array(3), 8, "black")).toThrow(/3 mask values for 2 images of 4 patches/);
    expect(() => occludeImages(images, size, masks, 5, "black")).toThrow(/not a multiple of the patch size/);
  });
});
