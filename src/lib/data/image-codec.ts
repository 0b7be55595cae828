// PNG and JPEG decoding to 8-bit RGB, and PNG encoding, in pure JavaScript
// (fast-png, jpeg-js) so that importers and exporters work alike in Node and
// the browser.
import { decode as decodePng, encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";

export interface RGBImage {
  width: number;
  height: number;
  /** [height, width, 3] uint8. */
  data: Uint8Array;
}

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}
function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** Expands 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels of 8-bit samples to RGB (alpha dropped). */
export function toRGB(src: ArrayLike<number>, width: number, height: number, channels: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (channels === 3) {
    for (let i = 0; i < n * 3; i++) out[i] = src[i];
    return out;
  }
  for (let i = 0; i < n; i++) {
    if (channels === 1 || channels === 2) {
      const g = src[i * channels];
      out[i * 3] = g;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = g;
    } else if (channels === 4) {
      out[i * 3] = src[i * 4];
      out[i * 3 + 1] = src[i * 4 + 1];
      out[i * 3 + 2] = src[i * 4 + 2];
    } else {
      throw new Error(`unsupported channel count ${channels}`);
    }
  }
  return out;
}

/**
 * Largest image decoded: 40 MP and 32768 px a side (an 8K frame is 33 MP; face datasets
 * are far smaller). A file's header states its size before any pixel data; a corrupt or
 * hostile header can claim billions of pixels, which the decoders would try to allocate
 * and fill (seconds per image, or gigabytes).
 */
export const MAX_IMAGE_PIXELS = 40_000_000;
export const MAX_IMAGE_SIDE = 32_768;

function checkPixels(width: number, height: number, name: string, format: string): void {
  if (width * height > MAX_IMAGE_PIXELS || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new Error(`${name}: the ${format} header says ${width}x${height} pixels, more than MaskAU decodes (${MAX_IMAGE_PIXELS / 1e6} MP, ${MAX_IMAGE_SIDE} a side; corrupt file?)`);
  }
}

/**
 * Decodes PNG or JPEG bytes (detected by their signature) to 8-bit RGB.
 * Grayscale is expanded, alpha dropped, 16-bit PNG reduced to 8 bits, palettes resolved.
 * `name` is used in error messages.
 */
export function decodeImage(bytes: Uint8Array, name = "image"): RGBImage {
  if (isPng(bytes)) {
    // IHDR is the first chunk: width and height, big-endian, at bytes 16..24.
    if (bytes.length >= 24) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      checkPixels(view.getUint32(16), view.getUint32(20), name, "PNG");
    }
    let png;
    try {
      png = decodePng(bytes);
    } catch (e) {
      throw new Error(`${name}: not a readable PNG (${e instanceof Error ? e.message : String(e)})`);
    }
    const { width, height } = png;
    let data: ArrayLike<number> = png.data;
    let channels = png.channels;
    if (png.palette) {
      const pal = png.palette;
      const idx = png.data;
      const rgb = new Uint8Array(width * height * 3);
      for (let i = 0; i < width * height; i++) {
        const c = pal[idx[i]] ?? [0, 0, 0];
        rgb[i * 3] = c[0];
        rgb[i * 3 + 1] = c[1];
        rgb[i * 3 + 2] = c[2];
      }
      data = rgb;
      channels = 3;
    } else if (png.depth === 16) {
      const d16 = png.data as Uint16Array;
      const d8 = new Uint8Array(d16.length);
      for (let i = 0; i < d16.length; i++) d8[i] = d16[i] >>> 8;
      data = d8;
    } else if (png.depth !== 8) {
      // Sub-byte grayscale: fast-png unpacks samples to one per byte at their own depth.
      const maxv = (1 << png.depth) - 1;
      const src = png.data;
      const d8 = new Uint8Array(src.length);
      for (let i = 0; i < src.length; i++) d8[i] = Math.round((src[i] * 255) / maxv);
      data = d8;
    }
    return { width, height, data: toRGB(data, width, height, channels) };
  }
  if (isJpeg(bytes)) {
    let img;
    try {
      img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    } catch (e) {
      throw new Error(`${name}: not a readable JPEG (${e instanceof Error ? e.message : String(e)})`);
    }
    return { width: img.width, height: img.height, data: toRGB(img.data, img.width, img.height, 4) };
  }
  throw new Error(`${name}: not a PNG or JPEG file (unrecognised signature)`);
}

/** Encodes [height, width, 3] uint8 RGB as PNG bytes. */
export function encodePngRGB(data: Uint8Array, width: number, height: number): Uint8Array {
  if (data.length !== width * height * 3) throw new Error(`encodePngRGB: ${data.length} bytes do not make a ${width}x${height} RGB image`);
  return encodePng({ width, height, data, channels: 3, depth: 8 });
}

/** Encodes [height, width, 3] uint8 RGB as JPEG bytes (quality 1..100). */
export function encodeJpegRGB(data: Uint8Array, width: number, height: number, quality = 90): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = data[i * 3];
    rgba[i * 4 + 1] = data[i * 3 + 1];
    rgba[i * 4 + 2] = data[i * 3 + 2];
    rgba[i * 4 + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width, height, data: rgba }, quality).data);
}
