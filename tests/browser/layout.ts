// Layout checks for page tests: screenshots at given widths, and the elements that stick
// out to the right of the viewport (outside any box that scrolls or clips horizontally).
import type { Browser, Page } from "playwright-core";
import { openPage, type PageReport } from "./open-page.js";

/** Elements whose right edge passes the viewport's, described by tag, classes and overflow in px. */
export async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const limit = document.documentElement.clientWidth + 1;
    const clipped = (e: Element): boolean => {
      for (let p = e.parentElement; p; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
      }
      return false;
    };
    const out: string[] = [];
    for (const e of document.querySelectorAll("#observablehq-main *")) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.right <= limit || clipped(e)) continue;
      out.push(`${e.tagName.toLowerCase()}${e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : ""} +${Math.round(r.right - limit)}px`);
    }
    if (document.documentElement.scrollWidth > limit) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px wide`);
    return out;
  });
}

/**
 * Opens `url` at each width, waits for `ready`, takes a full-page screenshot
 * (`${shots}/${name}-${width}.png`) and returns what overflows at each width.
 */
export async function screenshotWidths(
  browser: Browser,
  url: string,
  { name, shots, widths = [1400, 1024], ready }: { name: string; shots: string; widths?: number[]; ready: (page: Page) => Promise<void> },
): Promise<{ overflow: Record<number, string[]>; reports: PageReport[] }> {
  const overflow: Record<number, string[]> = {};
  const reports: PageReport[] = [];
  for (const width of widths) {
    const { page, report } = await openPage(browser, url);
    await page.setViewportSize({ width, height: 900 });
    await ready(page);
    await page.waitForTimeout(500); // let resize() redraw the charts at this width
    await page.screenshot({ path: `${shots}/${name}-${width}.png`, fullPage: true });
    overflow[width] = await overflowing(page);
    reports.push(report);
    await page.close();
  }
  return { overflow, reports };
}
