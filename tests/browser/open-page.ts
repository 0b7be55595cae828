// Opening a page of the built site with every console error, failed request and
// off-machine request recorded (requests that would leave the machine are aborted).
import type { Browser, Page } from "playwright-core";

export interface PageReport {
  errors: string[];
  offsite: string[];
}

/** Opens `url` in a new page; `initScript` runs in the page before any of its scripts. */
export async function openPage(browser: Browser, url: string, { initScript }: { initScript?: () => void } = {}): Promise<{ page: Page; report: PageReport }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  if (initScript) await page.addInitScript(initScript);
  const report: PageReport = { errors: [], offsite: [] };
  const origin = new URL(url).origin;
  await page.route("**/*", (route) => {
    const target = route.request().url();
    if (target.startsWith(origin) || target.startsWith("data:") || target.startsWith("blob:")) return route.continue();
    report.offsite.push(target);
    return route.abort();
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") report.errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => report.errors.push(`page error: ${err.message}`));
  page.on("requestfailed", (req) => report.errors.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
  page.on("response", (res) => {
    if (res.status() >= 400) report.errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.goto(url, { waitUntil: "load" });
  return { page, report };
}

export async function badge(page: Page): Promise<{ backend: string; adapter: string | null }> {
  const el = page.locator(".maskau-backend-badge");
  await el.waitFor({ timeout: 120_000 });
  return { backend: (await el.getAttribute("data-backend")) ?? "", adapter: await el.getAttribute("data-adapter") };
}

