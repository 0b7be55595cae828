// The face generator gives the same bytes in Chromium (the built site's own module)
// as in Node: images, labels, intensities and folds of a seeded dataset.
import { existsSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { generateFaceDataset, type FaceDatasetConfig } from "../../src/lib/data/generate.js";
import { fnv1a64 } from "../../src/lib/data/hash.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;
const DIST = process.env.MASKAU_DIST ?? "dist";
const CONFIGS: Partial<FaceDatasetConfig>[] = [
  { preset: "bp4d", seed: 5, subjects: 4, sequencesPerSubject: 2, framesPerSequence: 3 },
  { preset: "disfa", seed: 9, subjects: 3, sequencesPerSubject: 1, framesPerSequence: 4, size: 96 },
];

/** The built module file of a lib source, e.g. lib/data/generate -> /_import/lib/data/generate.<hash>.js. */
function builtModule(path: string): string {
  const [dir, name] = [path.slice(0, path.lastIndexOf("/")), path.slice(path.lastIndexOf("/") + 1)];
  const file = readdirSync(`${DIST}/_import/${dir}`).find((f) => new RegExp(`^${name}\\.[0-9a-f]+\\.js$`).test(f));
  if (!file) throw new Error(`the build has no module for ${path}`);
  return `/_import/${dir}/${file}`;
}

function fingerprint(ds: ReturnType<typeof generateFaceDataset>): string[] {
  return [fnv1a64(ds.images), fnv1a64(ds.labels), ds.intensities ? fnv1a64(ds.intensities) : "-", Array.from(ds.fold).join("")];
}

run("generator determinism across runtimes", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error(`${DIST}/ is missing: run \`npm run build\` first`);
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("gives identical bytes in Chromium and Node for the same seed", async () => {
    const { page, report } = await openPage(browser, `${server.url}/`);
    const modules = { generate: builtModule("lib/data/generate"), hash: builtModule("lib/data/hash") };
    for (const config of CONFIGS) {
      // A string, so that the test runner does not rewrite the dynamic imports.
      const inBrowser = (await page.evaluate(`(async () => {
        const { generateFaceDataset } = await import(${JSON.stringify(modules.generate)});
        const { fnv1a64 } = await import(${JSON.stringify(modules.hash)});
        const ds = generateFaceDataset(${JSON.stringify(config)});
        return [fnv1a64(ds.images), fnv1a64(ds.labels), ds.intensities ? fnv1a64(ds.intensities) : "-", Array.from(ds.fold).join("")];
      })()`)) as string[];
      expect(inBrowser, JSON.stringify(config)).toEqual(fingerprint(generateFaceDataset(config)));
    }
    await page.close();
    expect(report.errors).toEqual([]);
  });
});
