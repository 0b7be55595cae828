// Normalisation as MAE (and ME-GraphAU) feed images: RGB in [0, 1], minus the
// ImageNet mean, divided by the ImageNet standard deviation, NHWC float32.

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export interface FloatImages {
  /** [N, H, W, 3] float32. */
  data: Float32Array;
  shape: [number, number, number, number];
}

/** uint8 [N, size, size, 3] -> normalised float32 [N, size, size, 3]. */
export function normalizeImages(images: Uint8Array, size: number): FloatImages {
  const px = size * size * 3;
  if (images.length % px !== 0) throw new Error(`normalizeImages: ${images.length} bytes is not a whole number of ${size}x${size} RGB images`);
  const n = images.length / px;
  const data = new Float32Array(images.length);
  const scale = IMAGENET_STD.map((s) => 1 / (255 * s));
  const shift = IMAGENET_MEAN.map((m, k) => m / IMAGENET_STD[k]);
  for (let i = 0; i < images.length; i += 3) {
    data[i] = images[i] * scale[0] - shift[0];
    data[i + 1] = images[i + 1] * scale[1] - shift[1];
    data[i + 2] = images[i + 2] * scale[2] - shift[2];
  }
  return { data, shape: [n, size, size, 3] };
}

/** Normalised float32 NHWC -> uint8 RGB (clamped), e.g. to show MAE reconstructions. */
export function denormalizeImages(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const k = i % 3;
    const v = Math.round((data[i] * IMAGENET_STD[k] + IMAGENET_MEAN[k]) * 255);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}
