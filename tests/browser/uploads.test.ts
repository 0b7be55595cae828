// Hostile and odd uploads on the page that takes a file (the Occlusion lab's photo; no
// page takes a checkpoint): each file gets a message naming the problem and the fix,
// usable odd pictures are shown with a note, and the page keeps working afterwards (it
// answers an evaluate, keeps five panels, and still reacts to its controls).
// The pictures are made here (fast-png, jpeg-js, zlib for the 50-megapixel PNG); the CMYK
// JPEG is a 642-byte fixture; the 2 GB file is a sparse file in the temporary directory.
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

/** A solid-colour RGB(A) picture with a vertical split: left half `left`, right half `right`. */
function split(width: number, height: number, left: number[], right: number[]): Uint8Array {
  const channels = left.length;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(x < width / 2 ? left : right, (y * width + x) * channels);
  return data;
}

const png = (width: number, height: number, data: Uint8Array, channels: 1 | 2 | 3 | 4) => Buffer.from(encodePng({ width, height, data, channels }));
const jpg = (width: number, height: number, rgb: number[]) => Buffer.from(jpeg.encode({ width, height, data: Buffer.from(split(width, height, [...rgb, 255], [...rgb, 255])) }, 90).data);

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A PNG of width x height in one colour, rows deflated by zlib (a 50-megapixel one in about a second); `idat` replaces the pixel data. */
function bigPng(width: number, height: number, rgb: number[], idat?: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  let pixels = idat;
  if (!pixels) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
    pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)), { level: 1 });
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

interface Case {
  name: string;
  /** A buffer, or a path on disk (the 2 GB file). */
  file: { name: string; mimeType: string; buffer: Buffer } | string;
  /** Refused: the error message; used: the notes (all must match, [] for none). */
  error?: RegExp;
  notes?: RegExp[];
  /** Panel 0's colour at (x, y) when the picture is used. */
  pixels?: { x: number; y: number; rgb: number[] }[];
}

/** The Occlusion lab's message and notes about the photo, and panel 0's pixels. */
async function photoState(page: Page): Promise<{ error: string | null; notes: string[]; panels: number; original: number[] }> {
  return page.evaluate(() => {
    const canvases = [...document.querySelectorAll<HTMLCanvasElement>(".maskau-image-strip figure canvas")];
    const c = canvases[0];
    const original = c ? Array.from(c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data) : [];
    return {
      error: document.querySelector(".maskau-photo-error")?.textContent ?? null,
      notes: [...document.querySelectorAll(".maskau-photo-note")].map((e) => e.textContent ?? ""),
      panels: canvases.length,
      original,
    };
  });
}

const at = (rgba: number[], x: number, y: number) => rgba.slice((y * 64 + x) * 4, (y * 64 + x) * 4 + 3);
const near = (a: number[], b: number[], tol: number) => a.length === 3 && a.every((v, c) => Math.abs(v - b[c]) <= tol);

run("Uploads", () => {
  let browser: Browser;
  let server: StaticServer;
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error("dist/ is missing: run `npm run build` first");
    dir = mkdtempSync(join(tmpdir(), "maskau-uploads-"));
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the Occlusion lab's photo: every odd or hostile file gets a clear message and the page keeps working", async () => {
    // A 2 GB file that takes no disk: sparse, never read (refused by its size).
    const huge = join(dir, "huge-photo.jpg");
    const fd = openSync(huge, "w");
    ftruncateSync(fd, 2 * 2 ** 30);
    closeSync(fd);
    const wholePng = png(96, 64, split(96, 64, [200, 40, 40], [40, 40, 200]), 3);
    const wholeJpg = jpg(96, 64, [40, 160, 60]);
    const safetensors = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{}")]);
    // A decompression bomb's header: 144 megapixels declared, a few bytes of data.
    const bomb = bigPng(12_000, 12_000, [0, 0, 0], deflateSync(Buffer.alloc(1000)));
    const cases: Case[] = [
      { name: "not an image", file: { name: "notes.png", mimeType: "image/png", buffer: Buffer.from("these are my notes, not a photo\n") }, error: /“notes\.png” could not be read as an image: it is text, not a PNG, JPEG, GIF, WebP or BMP file \(the browser says: .*\)\. Choose a PNG or JPEG photo\./ },
      // A usable photo after a refused one: the message goes.
      { name: "ordinary JPEG", file: { name: "face.jpg", mimeType: "image/jpeg", buffer: wholeJpg }, notes: [], pixels: [{ x: 32, y: 32, rgb: [40, 160, 60] }] },
      { name: "a checkpoint", file: { name: "mae.safetensors", mimeType: "application/octet-stream", buffer: safetensors }, error: /“mae\.safetensors” could not be read as an image: it is a safetensors checkpoint, not a PNG, JPEG.*Choose a PNG or JPEG photo\./ },
      { name: "empty", file: { name: "empty.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(0) }, error: /“empty\.jpg” is empty \(0 bytes\)\. Choose a PNG or JPEG photo/ },
      { name: "truncated PNG", file: { name: "cut.png", mimeType: "image/png", buffer: wholePng.subarray(0, Math.floor(wholePng.length * 0.6)) }, error: /“cut\.png” is cut short: the PNG ends before its last chunk \(IEND\).*copy or download it again/ },
      { name: "truncated JPEG", file: { name: "cut.jpg", mimeType: "image/jpeg", buffer: wholeJpg.subarray(0, Math.floor(wholeJpg.length * 0.6)) }, error: /“cut\.jpg” is cut short: the JPEG ends before its end-of-image marker.*copy or download it again/ },
      { name: "2 GB file", file: huge, error: /“huge-photo\.jpg” is 2\.1 GB, more than the 100\.0 MB a photo may be here; it was not read\. Choose a smaller file/ },
      { name: "144-megapixel PNG header", file: { name: "bomb.png", mimeType: "image/png", buffer: bomb }, error: /“bomb\.png” is a PNG of 12,000×12,000 px \(144 megapixels\), more than the 100 megapixels decoded here.*Scale it down/ },
      { name: "1x1 PNG", file: { name: "dot.png", mimeType: "image/png", buffer: png(1, 1, new Uint8Array([10, 200, 30]), 3) }, notes: [/“dot\.png” is 1×1 px, smaller than the MAE's 64×64 input.*at least 64 px/], pixels: [{ x: 32, y: 32, rgb: [10, 200, 30] }] },
      { name: "greyscale PNG", file: { name: "grey.png", mimeType: "image/png", buffer: png(80, 80, split(80, 80, [60], [190]), 1) }, notes: [/“grey\.png” is greyscale.*Choose a colour photo/], pixels: [{ x: 10, y: 32, rgb: [60, 60, 60] }, { x: 54, y: 32, rgb: [190, 190, 190] }] },
      { name: "PNG with alpha", file: { name: "cutout.png", mimeType: "image/png", buffer: png(64, 64, split(64, 64, [255, 0, 0, 0], [20, 180, 60, 255]), 4) }, notes: [/“cutout\.png” has transparent pixels: they are shown on grey \(128, 128, 128\).*flatten the photo/], pixels: [{ x: 10, y: 32, rgb: [128, 128, 128] }, { x: 54, y: 32, rgb: [20, 180, 60] }] },
      // Pillow's CMYK JPEG (Adobe marker, inverted samples): top half red, bottom half blue.
      { name: "CMYK JPEG", file: { name: "print.jpg", mimeType: "image/jpeg", buffer: readFileSync("tests/fixtures/images/cmyk.jpg") }, notes: [/“print\.jpg” is a CMYK JPEG.*Save it as an RGB JPEG/], pixels: [{ x: 32, y: 8, rgb: [255, 0, 0] }, { x: 32, y: 56, rgb: [0, 0, 255] }] },
      { name: "50-megapixel PNG", file: { name: "camera.png", mimeType: "image/png", buffer: bigPng(8660, 5774, [30, 140, 90]) }, notes: [], pixels: [{ x: 32, y: 32, rgb: [30, 140, 90] }] },
    ];

    const { page, report } = await openPage(browser, `${server.url}/pages/occlusion-lab?backend=wasm&occlusion=random:0.5:3`);
    await page.locator(".maskau-image-strip figure:nth-child(5) canvas").waitFor({ timeout: 180_000 });
    await page.getByLabel("my photo", { exact: true }).check();
    const input = page.locator("input[type=file]");
    await input.waitFor({ timeout: 30_000 });
    const heldOut = (await photoState(page)).original;

    const rows: string[] = [];
    for (const c of cases) {
      const t0 = Date.now();
      await input.setInputFiles(c.file);
      let last = await photoState(page);
      // Settled: the error (or the notes and pixels) this case expects.
      await expect
        .poll(
          async () => {
            last = await photoState(page);
            if (c.error) return last.error !== null && c.error.test(last.error) && last.notes.length === 0;
            return (
              last.error === null &&
              last.notes.length === c.notes!.length &&
              c.notes!.every((n, k) => n.test(last.notes[k])) &&
              last.panels === 5 &&
              c.pixels!.every(({ x, y, rgb }) => near(at(last.original, x, y), rgb, 14))
            );
          },
          { timeout: 120_000, message: `${c.name}: ${JSON.stringify({ error: last.error, notes: last.notes })}` },
        )
        .toBe(true);
      const ms = Date.now() - t0;
      // Responsive: the page answers at once, and a refused file leaves the held-out face in five panels.
      const t1 = Date.now();
      expect(await page.evaluate(() => document.querySelectorAll(".maskau-image-strip figure").length)).toBe(5);
      expect(Date.now() - t1, `${c.name}: the page answers an evaluate`).toBeLessThan(2000);
      if (c.error) await expect.poll(async () => (await photoState(page)).original.join(), { timeout: 60_000 }).toBe(heldOut.join());
      rows.push(`${c.name.padEnd(26)} ${String(ms).padStart(6)} ms  ${c.error ? `refused: ${last.error}` : `used${last.notes.length ? `, note: ${last.notes.join(" / ")}` : ""}`}`);
    }
    console.log(rows.join("\n"));

    // Still reacting to its controls after all that: a block occlusion redraws the panels.
    await page.getByLabel("block").check();
    await page.waitForFunction(() => location.search.includes("occlusion=block"), null, { timeout: 60_000 });
    await page.waitForFunction(() => /MSE on removed/.test(document.querySelectorAll(".maskau-image-strip figcaption")[3]?.textContent ?? ""), null, { timeout: 120_000 });
    // The mask painter shows for a painted occlusion only (it used to stay after switching away).
    await page.getByLabel("paint").check();
    await expect.poll(() => page.locator(".maskau-mask-painter").count(), { timeout: 30_000 }).toBe(1);
    await page.getByLabel("none").check();
    await expect.poll(() => page.locator(".maskau-mask-painter").count(), { timeout: 30_000 }).toBe(0);
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });
});
