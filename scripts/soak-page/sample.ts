// One memory sample of a page of the built site: TensorFlow.js's live tensors and bytes,
// read from the page's own tfjs-core module (the URL the built page preloads, so the same
// engine the page runs), the wasm backend's linear memory, and from the Chrome DevTools
// Protocol the JS heap after a forced garbage collection (so the figure is what the page
// keeps, not what it has yet to collect), the DOM's nodes and the event listeners.
import { readFileSync } from "node:fs";
import type { CDPSession, Page } from "playwright-core";

export interface MemorySample {
  tensors: number;
  bytes: number;
  /** The wasm backend's linear memory (it never shrinks: its high-water mark), or null on another backend. */
  wasmBytes: number | null;
  /** JS heap in use after a forced collection. */
  heapUsed: number;
  heapTotal: number;
  nodes: number;
  listeners: number;
}

/** The tfjs-core module the built page `page` (e.g. "mae-pretraining") links, as a path of the site. */
export function tfjsCoreUrl(dist: string, page: string): string {
  const html = readFileSync(`${dist}/pages/${page}.html`, "utf8");
  const href = /href="\.\.\/(_node\/@tensorflow\/tfjs-core@[^"]+\.js)"/.exec(html);
  if (!href) throw new Error(`the built page ${page} does not link tfjs-core`);
  return `/${href[1]}`;
}

/** A sampler of `page` (one CDP session, opened once). */
export async function memorySampler(page: Page, tfUrl: string): Promise<() => Promise<MemorySample>> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  return async () => {
    const tf = JSON.parse(
      await page.evaluate(`(async () => {
        const tf = await import(${JSON.stringify(tfUrl)});
        const m = tf.memory();
        const heap = tf.getBackend() === "wasm" ? tf.backend().wasm?.HEAPU8?.buffer?.byteLength ?? null : null;
        return JSON.stringify({ tensors: m.numTensors, bytes: m.numBytes, wasmBytes: heap });
      })()`),
    ) as Pick<MemorySample, "tensors" | "bytes" | "wasmBytes">;
    await cdp.send("HeapProfiler.collectGarbage");
    const { metrics } = await cdp.send("Performance.getMetrics");
    const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
    return { ...tf, heapUsed: metric("JSHeapUsedSize"), heapTotal: metric("JSHeapTotalSize"), nodes: metric("Nodes"), listeners: metric("JSEventListeners") };
  };
}
