// The image-file inspector: formats, sizes, greyscale, transparency and CMYK from the
// header, and files cut short, on images encoded here (fast-png, jpeg-js) and a small
// CMYK JPEG fixture (tests/fixtures/images/cmyk.jpg, 96x64: red over blue, written by Pillow).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { describeNonImage, formatBytes, inspectImage } from "../../../src/lib/io/image-file.js";

function pngOf(width: number, height: number, channels: 1 | 2 | 3 | 4): Uint8Array {
  const data = new Uint8Array(width * height * channels).map((_, i) => (i * 37) & 255);
  return encodePng({ width, height, data, channels });
}

function jpegOf(width: number, height: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4, 200);
  return new Uint8Array(jpeg.encode({ width, height, data }, 90).data);
}

describe("inspectImage", () => {
  it("reads PNG sizes, greyscale and alpha from the header, whole files as whole", () => {
    expect(inspectImage(pngOf(7, 5, 3))).toEqual({ format: "png", width: 7, height: 5, grey: false, alpha: false, cmyk: false, truncated: null });
    expect(inspectImage(pngOf(1, 1, 4))).toMatchObject({ width: 1, height: 1, grey: false, alpha: true, truncated: null });
    expect(inspectImage(pngOf(3, 2, 1))).toMatchObject({ grey: true, alpha: false });
    expect(inspectImage(pngOf(3, 2, 2))).toMatchObject({ grey: true, alpha: true });
  });

  it("reads JPEG sizes and component counts, and the CMYK fixture as CMYK", () => {
    expect(inspectImage(jpegOf(33, 17))).toEqual({ format: "jpeg", width: 33, height: 17, grey: false, alpha: false, cmyk: false, truncated: null });
    const cmyk = new Uint8Array(readFileSync("tests/fixtures/images/cmyk.jpg"));
    expect(inspectImage(cmyk)).toMatchObject({ format: "jpeg", width: 96, height: 64, cmyk: true, truncated: null });
  });

  it("finds files cut short at any length, and lets data after a JPEG's end pass", () => {
    for (const whole of [pngOf(40, 30, 3), jpegOf(40, 30)]) {
      for (const keep of [0.2, 0.5, 0.9, (whole.length - 1) / whole.length]) {
        const info = inspectImage(whole.subarray(0, Math.floor(whole.length * keep)));
        expect(info?.truncated, `${keep}`).toMatch(/ends before/);
      }
    }
    const trailer = new Uint8Array([...jpegOf(8, 8), ...new TextEncoder().encode("SEFHtrailer written by a camera")]);
    expect(inspectImage(trailer)?.truncated).toBeNull();
    // A 50-megapixel header: the size is read without decoding anything.
    const big = pngOf(2, 2, 3);
    const view = new DataView(big.buffer, big.byteOffset);
    view.setUint32(16, 8660);
    view.setUint32(20, 5774);
    expect(inspectImage(big)).toMatchObject({ width: 8660, height: 5774 });
  });

  it("reads GIF, WebP and BMP sizes; anything else is not an image", () => {
    const gif = new Uint8Array([...new TextEncoder().encode("GIF89a"), 3, 0, 2, 0, 0, 0, 0, 0x3b]);
    expect(inspectImage(gif)).toMatchObject({ format: "gif", width: 3, height: 2, truncated: null });
    const bmp = new Uint8Array(58);
    bmp.set([0x42, 0x4d, 58]);
    new DataView(bmp.buffer).setInt32(18, 4, true);
    new DataView(bmp.buffer).setInt32(22, -3, true);
    expect(inspectImage(bmp)).toMatchObject({ format: "bmp", width: 4, height: 3, truncated: null });
    const vp8l = new Uint8Array(30);
    vp8l.set(new TextEncoder().encode("RIFF"), 0);
    vp8l.set([22], 4);
    vp8l.set(new TextEncoder().encode("WEBPVP8L"), 8);
    new DataView(vp8l.buffer).setUint32(21, (9 - 1) | ((6 - 1) << 14) | (1 << 28), true);
    expect(inspectImage(vp8l)).toMatchObject({ format: "webp", width: 9, height: 6, alpha: true });
    for (const text of ["not an image at all", "%PDF-1.7", ""]) expect(inspectImage(new TextEncoder().encode(text))).toBeNull();
    expect(inspectImage(new Uint8Array([0xff, 0xd8, 0xff]))).toMatchObject({ truncated: /ends before/ });
  });

  it("never throws on random bytes or prefixes of valid headers", () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
    const starts = [pngOf(4, 4, 3).subarray(0, 40), jpegOf(4, 4).subarray(0, 30), new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8X"), new TextEncoder().encode("GIF89a")];
    for (let k = 0; k < 2000; k++) {
      const start = starts[k % starts.length];
      const bytes = new Uint8Array(start.length + (k % 97)).map((_, i) => (i < start.length && k % 5 !== 0 ? start[i] : rand()));
      expect(() => inspectImage(bytes.subarray(0, k % (bytes.length + 1)))).not.toThrow();
    }
  });
});

describe("describeNonImage and formatBytes", () => {
  it("names common files that are not images", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(describeNonImage(enc("%PDF-1.4 ..."))).toBe("a PDF document");
    expect(describeNonImage(enc("hello, world\n"))).toBe("text");
    expect(describeNonImage(enc('<svg xmlns="http://www.w3.org/2000/svg">'))).toBe("an SVG drawing");
    expect(describeNonImage(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]))).toBe("a ZIP archive");
    const st = new Uint8Array(16);
    st[0] = 2;
    st.set(enc("{}"), 8);
    expect(describeNonImage(st)).toBe("a safetensors checkpoint");
    expect(describeNonImage(new Uint8Array([0, 1, 2, 3, 200, 0, 7]))).toBeNull();
    expect(formatBytes(2 * 2 ** 30)).toBe("2.1 GB");
    expect(formatBytes(100 * 2 ** 20)).toBe("104.9 MB");
    expect(formatBytes(1)).toBe("1 byte");
  });
});
