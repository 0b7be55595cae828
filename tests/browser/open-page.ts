// Opening a page of the built site with every console error, failed request and
// off-machine request recorded (requests that would leave the machine are aborted).
import type { Browser, BrowserContext, Page } from "playwright-core";

export interface PageReport {
  errors: string[];
  offsite: string[];
}

/** Aborts and records every request of `target` (a page or a context) that leaves `origin`. */
export async function keepOnMachine(target: Page | BrowserContext, origin: string, report: PageReport): Promise<void> {
  await target.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    report.offsite.push(url);
    return route.abort();
  });
}

/**
 * The errors of a report other than requests a navigation cancelled (net::ERR_ABORTED): a
 * test that leaves a page while it is still loading (a checkpoint, a model file) or reloads it
 * aborts those on purpose. Off-machine requests fail with another code and still count.
 */
export function errorsExceptAborted(report: PageReport): string[] {
  return report.errors.filter((e) => !/^request failed: .* \(net::ERR_ABORTED\)$/.test(e));
}

/** Records a page's console errors, uncaught errors, failed requests and HTTP errors. */
export function recordErrors(page: Page, report: PageReport): void {
  page.on("console", (msg) => {
    if (msg.type() === "error") report.errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => report.errors.push(`page error: ${err.message}`));
  page.on("requestfailed", (req) => report.errors.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
  page.on("response", (res) => {
    if (res.status() >= 400) report.errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
}

/** An init script that records the page's Content-Security-Policy violations (securitypolicyviolation events) from its first script on. */
export function recordCspViolations(): void {
  const seen: string[] = [];
  (globalThis as unknown as { __cspViolations: string[] }).__cspViolations = seen;
  document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || "(inline)"}`));
}

/** The violations recorded by recordCspViolations so far. */
export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { __cspViolations: string[] }).__cspViolations);
}

/** Opens `url` in a new page; `initScript` runs in the page before any of its scripts. */
export async function openPage(browser: Browser, url: string, { initScript }: { initScript?: () => void } = {}): Promise<{ page: Page; report: PageReport }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  if (initScript) await page.addInitScript(initScript);
  const report: PageReport = { errors: [], offsite: [] };
  await keepOnMachine(page, new URL(url).origin, report);
  recordErrors(page, report);
  await page.goto(url, { waitUntil: "load" });
  return { page, report };
}

export async function badge(page: Page): Promise<{ backend: string; adapter: string | null }> {
  const el = page.locator(".maskau-backend-badge");
  await el.waitFor({ timeout: 120_000 });
  return { backend: (await el.getAttribute("data-backend")) ?? "", adapter: await el.getAttribute("data-adapter") };
}

