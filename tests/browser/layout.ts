// Layout checks for page tests: screenshots at given widths (a wide window, a laptop and a
// narrow one), and the elements that stick out to the right of the viewport or past the
// edge of their card (outside any box that scrolls or clips horizontally).
import type { Browser, Page } from "playwright-core";
import { openPage, type PageReport } from "./open-page.js";

/** The widths every page's layout is checked at: a wide window, a laptop, a narrow window. */
export const LAYOUT_WIDTHS = [1400, 1024, 700];

/**
 * Elements whose right edge passes the viewport's, and elements that stick out of the
 * card they are in (past its left or right edge: a number box running past it, a slider
 * under the next card), described by tag, classes and overflow in px.
 */
export async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const limit = document.documentElement.clientWidth + 1;
    /** Whether a box between `e` and `top` (exclusive; the document when null) scrolls or clips horizontally. */
    const clipped = (e: Element, top: Element | null = null): boolean => {
      for (let p = e.parentElement; p && p !== top; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
      }
      return false;
    };
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : ""}`;
    const out: string[] = [];
    for (const e of document.querySelectorAll("#observablehq-main *")) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.right <= limit || clipped(e)) continue;
      out.push(`${name(e)} +${Math.round(r.right - limit)}px`);
    }
    document.querySelectorAll("#observablehq-main .card").forEach((card, k) => {
      const c = card.getBoundingClientRect();
      const title = card.querySelector("h2, h3")?.textContent?.trim() ?? `card ${k + 1}`;
      for (const e of card.querySelectorAll("*")) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || (r.right <= c.right + 1 && r.left >= c.left - 1) || clipped(e, card)) continue;
        out.push(`in the card "${title}": ${name(e)} ${r.right > c.right + 1 ? `+${Math.round(r.right - c.right)}px right` : `${Math.round(c.left - r.left)}px left`}`);
      }
    });
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
  { name, shots, widths = LAYOUT_WIDTHS, ready }: { name: string; shots: string; widths?: number[]; ready: (page: Page) => Promise<void> },
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
