// Cross-origin isolation (src/lib/coi.ts): the headers `npm start` sends are the site's,
// the preview server sends them on pages, modules and files, the service worker's
// registration points at the site's root from every page, and the browser's wasm thread
// count (src/lib/tf/wasm-threads-browser.ts) follows the URL, the CPUs and isolation.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { COI_HEADERS, COI_SERVICE_WORKER, COI_SERVICE_WORKER_FILE, coiRegistration, siteRoot } from "../../src/lib/coi.js";
import { browserWasmThreads, MAX_BROWSER_WASM_THREADS, singleThreadReason, threadsAvailable } from "../../src/lib/tf/wasm-threads-browser.js";
// @ts-expect-error: a plain JavaScript module, without types
import { COI_HEADERS as PREVIEW_HEADERS } from "../../scripts/coi-headers.mjs";

describe("cross-origin isolation", () => {
  it("npm start sends the site's isolation headers", () => {
    expect(PREVIEW_HEADERS).toEqual(COI_HEADERS);
    expect(COI_HEADERS["Cross-Origin-Opener-Policy"]).toBe("same-origin");
    expect(COI_HEADERS["Cross-Origin-Embedder-Policy"]).toBe("require-corp");
    for (const [name, value] of Object.entries(COI_HEADERS)) expect(COI_SERVICE_WORKER).toContain(`"${name}":"${value}"`);
  });

  it("registers the service worker at the site's root from every page", () => {
    expect(siteRoot("/index")).toBe("./");
    expect(siteRoot("/404")).toBe("./");
    expect(siteRoot("/pages/data")).toBe("../");
    expect(siteRoot("/a/b/c")).toBe("../../");
    const script = coiRegistration("/pages/teacher");
    expect(script).toContain(`register("../${COI_SERVICE_WORKER_FILE}", { scope: "../" })`);
    expect(script).toContain("if (window.crossOriginIsolated)");
    // One reload at most: the mark is set before reloading and checked first.
    expect(script.indexOf("storage.getItem(key)")).toBeLessThan(script.indexOf("location.reload()"));
  });

  it("runs a wasm thread per CPU when isolated, as the URL asks, and one otherwise", () => {
    expect(browserWasmThreads("", 2, true)).toBe(2);
    expect(browserWasmThreads("?backend=wasm", 16, true)).toBe(MAX_BROWSER_WASM_THREADS);
    expect(browserWasmThreads("?wasm-threads=1", 4, true)).toBe(1);
    expect(browserWasmThreads("?wasm-threads=3", 2, true)).toBe(3);
    expect(browserWasmThreads("?wasm-threads=0", 4, true)).toBe(4);
    expect(browserWasmThreads("?wasm-threads=two", 4, true)).toBe(4);
    expect(browserWasmThreads("?wasm-threads=4", 4, false)).toBe(1);
    expect(browserWasmThreads("", 0, true)).toBe(1);
    expect(threadsAvailable({ crossOriginIsolated: true, SharedArrayBuffer })).toBe(true);
    expect(threadsAvailable({ crossOriginIsolated: false, SharedArrayBuffer })).toBe(false);
    expect(threadsAvailable({ crossOriginIsolated: true })).toBe(false);
    expect(singleThreadReason(2, true)).toBeNull();
    expect(singleThreadReason(1, true)).toBe("one thread asked for");
    expect(singleThreadReason(1, false)).toMatch(/not cross-origin isolated/);
  });

  it("the preview server (npm start) sends the headers on pages, modules and files", async () => {
    const port = 43000 + (process.pid % 1000);
    const child = spawn(process.execPath, ["scripts/observable.mjs", "preview", "--no-open", "--port", String(port)], {
      env: { ...process.env, OBSERVABLE_TELEMETRY_DISABLE: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      await new Promise<void>((ok, fail) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
          if (out.includes(`:${port}/`)) ok();
        });
        child.on("exit", (code) => fail(new Error(`the preview server exited with ${code}: ${out}`)));
      });
      for (const path of ["/", "/pages/data", "/_observablehq/client.js", "/_import/lib/coi.js"]) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        expect(res.status, path).toBe(200);
        for (const [name, value] of Object.entries(COI_HEADERS)) expect(res.headers.get(name), `${path} ${name}`).toBe(value);
        await res.arrayBuffer();
      }
    } finally {
      child.kill();
    }
  });
});
