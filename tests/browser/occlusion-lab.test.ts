// The Occlusion lab in Chromium: the shipped MAE reconstructs a held-out face under
// the occlusion in the URL, the five panels appear, and the controls write the URL.
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { MAE_PRESETS } from "../../src/lib/config.js";
import { heldOutFaces } from "../../src/lib/data/page-dataset.js";
import { occlusionMasks, parseOcclusion } from "../../src/lib/masks/spec.js";
import { NEUTRAL } from "../../src/components/image-strip.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

// MASKAU_DIST serves another copy of the built site (e.g. while dist/ is being rebuilt).
const DIST = process.env.MASKAU_DIST ?? "dist";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

// A landscape test photo: red bands left and right that the centre crop must drop, and
// a smooth pattern in the centre square (x in [32, 128)) that the panels must show;
// `tint` (its red channel) tells two photos apart.
const PHOTO = { width: 160, height: 96, margin: 32 };
function photoRgba(tint: number): Uint8Array {
  const { width, height, margin } = PHOTO;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x >= margin && x < width - margin;
      rgba.set(inside ? [tint, 60 + y, 60 + 1.5 * (x - margin)] : [255, 0, 0], (y * width + x) * 4);
      rgba[(y * width + x) * 4 + 3] = 255;
    }
  }
  return rgba;
}

/** RGB bytes of the five panels' canvases (the heatmap at its own resolution). */
async function panelPixels(page: Page): Promise<{ width: number; rgb: number[] }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll(".maskau-image-strip canvas")].map((c) => {
      const canvas = c as HTMLCanvasElement;
      const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      return { width: canvas.width, rgb: Array.from(data).filter((_, k) => k % 4 !== 3) };
    }),
  );
}

/**
 * The error map's cells against the mask the page gives held-out face `face` under
 * `occlusion`: each visible patch must be the neutral grey, each removed one a colour of
 * the ramp. Returns the mismatches, described.
 */
async function errorMapMismatches(page: Page, occlusion: string, face: number): Promise<string[]> {
  const { imgSize: size, patchSize: patch } = MAE_PRESETS.tiny;
  const masks = occlusionMasks(parseOcclusion(occlusion), heldOutFaces(size, 3).frames[face], size, patch);
  const heat = (await panelPixels(page))[4];
  expect(heat.width).toBe(size / patch);
  const out: string[] = [];
  masks.patchMask.forEach((removed, l) => {
    const rgb = heat.rgb.slice(3 * l, 3 * l + 3);
    const neutral = rgb.every((v, c) => v === NEUTRAL[c]);
    if (removed ? neutral : !neutral) out.push(`patch ${l} (${removed ? "removed" : "visible"}): rgb(${rgb.join(",")})`);
  });
  return out;
}

run("Occlusion lab", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error("dist/ is missing: run `npm run build` first");
    mkdirSync("test-output/screenshots", { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("reconstructs the face under the URL's occlusion and keeps controls in the URL", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/occlusion-lab?occlusion=random:0.5:3&face=2&fill=noise`);
    const figures = page.locator(".maskau-image-strip figure");
    // The fifth panel (the error map) is drawn once the MAE has run; until then it is a placeholder.
    await page.locator(".maskau-image-strip figure:nth-child(5) canvas").waitFor({ timeout: 180_000 });
    expect(await figures.count()).toBe(5);
    const captions = await page.locator(".maskau-image-strip figcaption").allTextContents();
    expect(captions[1]).toContain("32/64 patches");
    expect(captions[3]).toMatch(/MSE on removed patches \d\.\d{3}/);
    // The error map: removed patches coloured, visible ones neutral, with its scale and units.
    expect(captions[4]).toContain("error on removed patches");
    expect(await errorMapMismatches(page, "random:0.5:3", 2)).toEqual([]);
    const legend = page.locator(".maskau-heat-legend");
    expect(await legend.count()).toBe(1);
    expect(await legend.textContent()).toMatch(/mean squared error.*normalised pixel.*0.*0\.25.*≥ 0\.5.*visible patch/);
    expect(await legend.locator(".maskau-heat-swatch").evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(`rgb(${NEUTRAL.join(", ")})`);
    expect(await page.locator(".maskau-recon-note").textContent()).toMatch(/prediction of every patch.*removed patches.*untrained/);
    await page.screenshot({ path: "test-output/screenshots/occlusion-lab-random.png", fullPage: true });

    // Switch to a block: the URL follows and the panels update.
    await page.getByLabel("block").check();
    await page.waitForFunction(() => location.search.includes("occlusion=block"), null, { timeout: 60_000 });
    await page.waitForFunction(() => /\((1[6-9]|2[0-2])\/64 patches\)/.test(document.querySelectorAll(".maskau-image-strip figcaption")[1]?.textContent ?? ""), null, { timeout: 120_000 });
    expect(new URL(page.url()).searchParams.get("occlusion")).toBe("block:0.3:0.5:0.5");
    expect(new URL(page.url()).searchParams.get("face")).toBe("2");
    // A block: its visible border is grey (it used to be the brightest part of the map), its inside coloured.
    await page.waitForFunction(() => /MSE on removed/.test(document.querySelectorAll(".maskau-image-strip figcaption")[3]?.textContent ?? ""), null, { timeout: 120_000 });
    await expect.poll(() => errorMapMismatches(page, "block:0.3:0.5:0.5", 2), { timeout: 60_000 }).toEqual([]);
    await page.screenshot({ path: "test-output/screenshots/occlusion-lab-block.png", fullPage: true });
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it("reconstructs an uploaded PNG or JPEG photo, centre-cropped, and explains a file it cannot read", async () => {
    const { width, height } = PHOTO;
    const [png, jpg] = [photoRgba(20), photoRgba(70)];
    // The centre of the crop is source pixel (80, 48): (tint, 108, 132).
    const files = [
      { centre: [20, 108, 132], name: "face.png", mimeType: "image/png", buffer: Buffer.from(encodePng({ width, height, data: png.filter((_, k) => k % 4 !== 3), channels: 3 })) },
      { centre: [70, 108, 132], name: "face.jpg", mimeType: "image/jpeg", buffer: Buffer.from(jpeg.encode({ width, height, data: Buffer.from(jpg) }, 95).data) },
    ];
    const { page, report } = await openPage(browser, `${server.url}/pages/occlusion-lab?backend=wasm&occlusion=random:0.5:3`);
    await page.locator(".maskau-image-strip figure:nth-child(5) canvas").waitFor({ timeout: 180_000 });
    await page.getByLabel("my photo", { exact: true }).check();
    const fileInput = page.locator("input[type=file]");
    await fileInput.waitFor({ timeout: 30_000 });

    for (const { centre: expected, ...file } of files) {
      await fileInput.setInputFiles(file);
      // The five panels come back with the photo's centre square as the original (red bands cropped away).
      await expect.poll(async () => {
        const panels = await panelPixels(page);
        const centre = panels[0]?.rgb.slice((32 * 64 + 32) * 3, (32 * 64 + 32) * 3 + 3) ?? [];
        // Give or take resampling and JPEG.
        return panels.length === 5 && expected.every((v, c) => Math.abs(centre[c] - v) < 12);
      }, { timeout: 120_000, message: `${file.name} is shown in five panels` }).toBe(true);
      const panels = await panelPixels(page);
      expect(panels).toHaveLength(5);
      const original = panels[0];
      expect(original.width).toBe(64);
      let red = 0;
      for (let p = 0; p < 64 * 64; p++) if (original.rgb[p * 3] > 150 && original.rgb[p * 3 + 1] < 60) red++;
      expect(red, `${file.name}: pixels of the cropped-away red bands`).toBe(0);
      const captions = await page.locator(".maskau-image-strip figcaption").allTextContents();
      expect(captions[0]).toBe("original");
      expect(captions[1]).toContain("32/64 patches");
      expect(captions[3]).toMatch(/MSE on removed patches \d\.\d{3}/);
      expect(captions[4]).toContain("error on removed patches");
      for (const panel of panels.slice(2, 4)) expect(panel.rgb.some((v) => v > 0), "a drawn reconstruction").toBe(true);
      expect(await page.locator(".maskau-photo-error").count()).toBe(0);
      await page.screenshot({ path: `test-output/screenshots/occlusion-lab-photo-${file.name.split(".").pop()}.png`, fullPage: true });
    }

    // A file that is not an image: a message in the page, the held-out face, no exception.
    await fileInput.setInputFiles({ name: "notes.png", mimeType: "image/png", buffer: Buffer.from("not an image at all") });
    const message = page.locator(".maskau-photo-error");
    await message.waitFor({ timeout: 60_000 });
    expect(await message.textContent()).toMatch(/notes\.png.*could not be read as an image/);
    await page.waitForFunction(() => document.querySelectorAll(".maskau-image-strip figure canvas").length === 5, null, { timeout: 120_000 });
    await page.screenshot({ path: "test-output/screenshots/occlusion-lab-photo-bad.png", fullPage: true });
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });
});
