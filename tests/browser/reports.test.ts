// Report pages built from the committed run records: a run's page renders its headline
// table, occlusion curve, feature map and manifest from its record with no console error
// and no off-machine request; its tables download as CSV, JSON and Arrow that parse back to
// the record's numbers (the Arrow bytes read by arquero in Node); the Report page lists the
// runs and compares two, with the choice in the URL.
import { existsSync, readFileSync } from "node:fs";
import * as aq from "arquero";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_IDS } from "../../observablehq.config.js";
import { checkRecord } from "../../src/lib/records/check.js";
import type { RunRecord } from "../../src/lib/records/record.js";
import { compareAuRows, perAuRows } from "../../src/lib/records/tables.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;
const TEACHER = "teacher-tiny-mefl-random0.5";
const STUDENT = "student-tiny-random0.5";
const recordOf = (id: string): RunRecord => checkRecord(JSON.parse(readFileSync(`src/data/records/${id}.json`, "utf8")), id);

/** Clicks a download button and returns the file's name and bytes. */
async function download(page: Page, selector: string): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.locator(selector).click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), bytes: readFileSync(path) };
}

run("run reports", () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    if (!existsSync(`${DIST}/runs/${TEACHER}.html`)) throw new Error(`${DIST}/runs/${TEACHER}.html is missing: run \`npm run build\` first (npm run test:browser does)`);
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("a run's page renders its table, curve, feature map and manifest from its record; its tables download as CSV, JSON and Arrow", async () => {
    const record = recordOf(TEACHER);
    const { page, report } = await openPage(browser, `${server.url}/runs/${TEACHER}`);
    await page.locator(".maskau-manifest-table").waitFor({ timeout: 60_000 });
    await page.waitForLoadState("networkidle");

    expect(await page.locator("h1").first().textContent()).toBe(record.title);
    const headline = await page.locator(".maskau-headline tbody tr").first().innerText();
    expect(headline).toContain((100 * record.metrics.meanF1!).toFixed(1));
    // The curve: one dot per occlusion level; the heatmap: one cell per AU and level.
    expect(await page.locator(".maskau-sweep svg circle").count()).toBe(record.sweep!.points.length);
    expect(await page.locator(".maskau-sweep svg rect").count()).toBeGreaterThanOrEqual(12 * 7);
    expect(await page.locator(".maskau-sweep .maskau-rebuild").innerText()).toContain(record.sweep!.command);
    expect(await page.locator(".maskau-feature-map").getAttribute("data-points")).toBe(String(record.features!.x.length));
    const manifest = await page.locator(".maskau-manifest-table").innerText();
    for (const v of [record.checkpoint.sha256, record.environment.commit!, record.environment.backend!, record.command!, "4.22.0"]) expect(manifest).toContain(v);
    expect(await page.locator(".maskau-rebuild").count()).toBeGreaterThanOrEqual(5);

    // Colouring the map by an AU goes into the URL.
    await page.locator(".maskau-feature-map").waitFor();
    await page.getByLabel("Colour by").selectOption("AU12");
    await page.waitForURL(/colour=AU12/);

    const expected = perAuRows(record);
    const table = `[data-table="${TEACHER}-per-au-f1"]`;
    const csv = await download(page, `${table} button[data-format=csv]`);
    expect(csv.name).toBe(`${TEACHER}-per-au-f1.csv`);
    const lines = csv.bytes.toString("utf8").trim().split("\n");
    expect(lines[0]).toBe("au,f1");
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(expected.map((r) => r.au));
    expect(Number(lines[1].split(",")[1])).toBeCloseTo(expected[0].f1!, 10);
    const json = await download(page, `${table} button[data-format=json]`);
    expect(JSON.parse(json.bytes.toString("utf8"))).toEqual(expected);
    const arrow = await download(page, `${table} button[data-format=arrow]`);
    expect(arrow.name).toBe(`${TEACHER}-per-au-f1.arrow`);
    expect(arrow.bytes.subarray(0, 6).toString("latin1")).toBe("ARROW1");
    const back = aq.fromArrow(new Uint8Array(arrow.bytes)).objects();
    expect(back).toEqual(expected);

    const sweep = await download(page, `[data-table="${TEACHER}-sweep"] button[data-format=arrow]`);
    const sweepRows = aq.fromArrow(new Uint8Array(sweep.bytes)).objects() as { occlusion: string; au: string; f1: number }[];
    expect(sweepRows).toHaveLength(7 * 13);
    expect(sweepRows.find((r) => r.occlusion === "random:0.5" && r.au === "mean")!.f1).toBeCloseTo(100 * record.metrics.meanF1!, 4);

    const map = await download(page, `[data-table="${TEACHER}-feature-map"] button[data-format=arrow]`);
    const mapRows = aq.fromArrow(new Uint8Array(map.bytes)).objects() as { x: number; y: number; subject: string; AU12: number }[];
    expect(mapRows).toHaveLength(record.features!.x.length);
    expect(mapRows[7]).toMatchObject({ x: record.features!.x[7], y: record.features!.y[7], subject: record.features!.subjects[7], AU12: record.features!.labels[7][6] });

    const whole = await download(page, "button:has-text('Download this record')");
    expect(checkRecord(JSON.parse(whole.bytes.toString("utf8")))).toEqual(record);

    await page.close();
    expect(report.offsite, "requests that left the machine").toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it("an MAE's page says it has no AU outputs and still shows its loss and manifest", async () => {
    const record = recordOf("mae-tiny");
    const { page, report } = await openPage(browser, `${server.url}/runs/mae-tiny`);
    await page.locator(".maskau-manifest-table").waitFor({ timeout: 60_000 });
    expect(await page.locator(".maskau-sweep-empty").innerText()).toContain("An MAE has no AU outputs");
    expect(await page.locator(".maskau-history .maskau-loss-chart").getAttribute("data-points")).toBe(String(record.history.length));
    expect(await page.locator(".maskau-manifest-table").innerText()).toContain(record.checkpoint.sha256);
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it("the clean detector's page shows Table 2's (b) and (c) beside its own evaluation", async () => {
    const record = recordOf("detector-tiny-clean");
    const { page, report } = await openPage(browser, `${server.url}/runs/detector-tiny-clean`);
    const table = page.locator(".maskau-evaluations-table");
    await table.waitFor({ timeout: 60_000 });
    const rows = await table.locator("tbody tr").allInnerTexts();
    expect(rows).toHaveLength(1 + record.evaluations!.length);
    expect(rows[1]).toContain("occluded random:0.5");
    expect(rows[1]).toContain((100 * record.evaluations![0].meanF1).toFixed(1));
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it("the Report page lists every run and compares the two in its URL, and a new choice goes into the URL", async () => {
    const [a, b] = [recordOf(TEACHER), recordOf(STUDENT)];
    const { page, report } = await openPage(browser, `${server.url}/pages/report?a=${TEACHER}&b=${STUDENT}`);
    const compare = page.locator(`.maskau-compare[data-a="${TEACHER}"][data-b="${STUDENT}"]`);
    await compare.waitFor({ timeout: 60_000 });
    const links = await page.locator(".maskau-headline a").evaluateAll((as) => as.map((x) => x.getAttribute("href")));
    expect(links).toContain(`../runs/${TEACHER}`);
    expect(links).toHaveLength(RUN_IDS.length);

    const mean = compareAuRows(a, b).at(-1)!;
    const meanRow = await compare.locator(".maskau-compare-table tr", { hasText: "mean" }).innerText();
    expect(meanRow).toContain(mean.difference!.toFixed(1));
    // Both curves overlaid: one dot per occlusion level of each run.
    expect(await compare.locator(".maskau-sweep svg circle").count()).toBe(a.sweep!.points.length + b.sweep!.points.length);
    const diff = await compare.locator(".maskau-manifest-diff").innerText();
    expect(diff).toContain("config.condition.input");
    expect(diff).toContain(a.checkpoint.sha256);

    await page.getByLabel("Run b").selectOption("teacher-tiny-block0.3");
    await page.waitForURL(/b=teacher-tiny-block0\.3/);
    await page.locator('.maskau-compare[data-b="teacher-tiny-block0.3"]').waitFor();
    // The block teacher's record has no sweep: its curve is absent, the other stays.
    expect(await page.locator(".maskau-compare .maskau-sweep svg circle").count()).toBe(a.sweep!.points.length);

    // Following a run's link opens its report page.
    await page.locator(`.maskau-headline a[href="../runs/${STUDENT}"]`).click();
    await page.waitForURL(new RegExp(`/runs/${STUDENT.replace(/\./g, "\\.")}$`));
    await page.locator(".maskau-manifest-table").waitFor({ timeout: 60_000 });
    await page.close();
    expect(report.offsite, "requests that left the machine").toEqual([]);
    expect(report.errors).toEqual([]);
  });
});
