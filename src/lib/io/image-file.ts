// What an uploaded image file is, from its bytes alone, before a browser decodes it:
// format, size in pixels, channels, transparency, CMYK, and whether the file is cut
// short. The Occlusion lab reads a photo through this so that a file that is not an
// image, an incomplete download or a picture too large to decode is refused with a
// message naming the problem, instead of a decoder's error or a frozen tab. No DOM.

export type ImageFormat = "png" | "jpeg" | "gif" | "webp" | "bmp";

export interface ImageFileInfo {
  format: ImageFormat;
  width: number;
  height: number;
  /** Greyscale by its header (PNG colour types 0 and 4, one-component JPEG); null when the header does not say. */
  grey: boolean | null;
  /** Has an alpha channel or a transparent colour by its header (PNG); null when the header does not say. */
  alpha: boolean | null;
  /** A four-component (CMYK or YCCK) JPEG. */
  cmyk: boolean;
  /** Why the file is incomplete (it ends before the format's last marker), or null. */
  truncated: string | null;
}

export const IMAGE_FORMAT_NAMES: Record<ImageFormat, string> = { png: "PNG", jpeg: "JPEG", gif: "GIF", webp: "WebP", bmp: "BMP" };

/** Limits on a photo the pages read: its file size and its pixels (50-megapixel photos pass). */
export const PHOTO_LIMITS = { bytes: 100e6, pixels: 100e6 };

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const i32le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

/** A size in bytes in words ("2.0 GB", "15.3 MB", "812 bytes"). */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} byte${n === 1 ? "" : "s"}`;
}

function png(b: Uint8Array): ImageFileInfo | null {
  if (b.length < 33 || ascii(b, 12, 4) !== "IHDR") return null;
  const colourType = b[25];
  let alpha = colourType === 4 || colourType === 6;
  // Walk the chunks: the file is whole when it reaches IEND.
  let at = 8;
  let truncated: string | null = "the PNG ends before its last chunk (IEND)";
  while (at + 8 <= b.length) {
    const length = u32be(b, at);
    const type = ascii(b, at + 4, 4);
    if (type === "tRNS") alpha = true;
    if (type === "IEND") {
      if (at + 12 <= b.length) truncated = null;
      break;
    }
    at += 12 + length;
    if (at > b.length) break;
  }
  return { format: "png", width: u32be(b, 16), height: u32be(b, 20), grey: colourType === 0 || colourType === 4, alpha, cmyk: false, truncated };
}

// Start-of-frame markers (baseline, progressive, lossless, arithmetic): not DHT (C4), JPG (C8) or DAC (CC).
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpeg(b: Uint8Array): ImageFileInfo | null {
  let at = 2;
  let frame: { width: number; height: number; components: number } | null = null;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = u16be(b, at + 2);
    if (SOF.has(marker) && at + 10 <= b.length) frame = { height: u16be(b, at + 5), width: u16be(b, at + 7), components: b[at + 9] };
    if (marker === 0xda || marker === 0xd9) break;
    at += 2 + length;
  }
  if (!frame) return at + 4 > b.length ? { format: "jpeg", width: 0, height: 0, grey: null, alpha: false, cmyk: false, truncated: "the JPEG ends before its image data" } : null;
  // Whole when an end-of-image marker follows the first scan (scanned from the end: data
  // after the image, as some cameras append, does not count against it).
  let truncated: string | null = "the JPEG ends before its end-of-image marker";
  for (let i = b.length - 2; i > at; i--) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) {
      truncated = null;
      break;
    }
  }
  return { format: "jpeg", width: frame.width, height: frame.height, grey: frame.components === 1, alpha: false, cmyk: frame.components === 4, truncated };
}

function webp(b: Uint8Array): ImageFileInfo | null {
  if (b.length < 30) return null;
  const chunk = ascii(b, 12, 4);
  const base = { format: "webp" as const, grey: null, cmyk: false, truncated: b.length < 8 + (u16le(b, 4) | (u16le(b, 6) << 16)) ? "the WebP ends before its last chunk" : null };
  if (chunk === "VP8X") return { ...base, alpha: (b[20] & 0x10) !== 0, width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === "VP8L") {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { ...base, alpha: ((bits >>> 28) & 1) === 1, width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8 ") return { ...base, alpha: false, width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  return null;
}

/**
 * What an image file is, from its first bytes (the header) and, for PNG and JPEG, the
 * whole file (whether it is complete): null when it does not start like a PNG, JPEG,
 * GIF, WebP or BMP file.
 */
export function inspectImage(bytes: Uint8Array): ImageFileInfo | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === "PNG" && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) {
    return png(b) ?? { format: "png", width: 0, height: 0, grey: null, alpha: null, cmyk: false, truncated: "the PNG ends before its header" };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(b);
  if (b.length >= 10 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) {
    return { format: "gif", width: u16le(b, 6), height: u16le(b, 8), grey: null, alpha: null, cmyk: false, truncated: b.at(-1) === 0x3b ? null : "the GIF ends before its trailer" };
  }
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return webp(b);
  if (b.length >= 26 && ascii(b, 0, 2) === "BM") {
    return { format: "bmp", width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)), grey: null, alpha: null, cmyk: false, truncated: b.length < (u16le(b, 2) | (u16le(b, 4) << 16)) ? "the BMP ends before its pixels" : null };
  }
  return null;
}

/** What a file that is not a known image looks like, from its first bytes ("a PDF document", "text"), or null. */
export function describeNonImage(bytes: Uint8Array): string | null {
  const b = bytes;
  if (b.length === 0) return "an empty file";
  if (ascii(b, 0, 5) === "%PDF-") return "a PDF document";
  if (b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) return "a ZIP archive";
  if (b.length >= 12 && ascii(b, 4, 4) === "ftyp") {
    const brand = ascii(b, 8, 4);
    return /^(heic|heix|hevc|mif1|msf1)$/.test(brand) ? "a HEIC/HEIF picture" : /^avi[fs]$/.test(brand) ? "an AVIF picture" : "an MP4/QuickTime file";
  }
  if (b.length >= 9 && b[8] === 0x7b && u32be(b, 4) === 0) return "a safetensors checkpoint";
  const head = b.subarray(0, Math.min(b.length, 512));
  if (head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128)) return /<svg[\s>]/i.test(ascii(head, 0, head.length)) ? "an SVG drawing" : "text";
  return null;
}
