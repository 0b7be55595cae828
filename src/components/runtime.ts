// Starts the compute backend for a page: the URL's `?backend=` wins, then the choice
// saved in this browser, then the automatic choice (the fastest backend the GPU probes
// point to: src/lib/tf/backend-choice.ts); shows the badge in the header.
import { FileAttachment } from "observablehq:stdlib";
import { BACKENDS, initBackend, type BackendInfo, type BackendName } from "../lib/tf/backend.js";
import { BACKEND_STORAGE_KEY, backendOrder, backendSpeed, chooseAutomatic, resolveBackendRequest } from "../lib/tf/backend-choice.js";
import { browserWasmThreads, registerBrowserThreadedWasm, runningBrowserWasmThreads, singleThreadReason, threadsAvailable } from "../lib/tf/wasm-threads-browser.js";
import { BackendBadge, BackendNotice } from "./backend-badge.js";
import { probeGpu } from "./gpu-probe.js";

// The site serves tfjs's wasm binaries itself (see src/data/wasm/*.wasm.ts).
const WASM_FILES: Record<string, string> = {
  "tfjs-backend-wasm.wasm": FileAttachment("../data/wasm/tfjs-backend-wasm.wasm").href,
  "tfjs-backend-wasm-simd.wasm": FileAttachment("../data/wasm/tfjs-backend-wasm-simd.wasm").href,
  "tfjs-backend-wasm-threaded-simd.wasm": FileAttachment("../data/wasm/tfjs-backend-wasm-threaded-simd.wasm").href,
};

// The threaded build's scripts, served by the site too: a cross-origin isolated page runs
// wasm on several threads (src/lib/tf/wasm-threads-browser.ts).
const THREADED_WASM = {
  glue: FileAttachment("../data/wasm/tfjs-backend-wasm-threaded-simd.js").href,
  worker: FileAttachment("../data/wasm/tfjs-backend-wasm-threaded-simd.worker.js").href,
  binary: WASM_FILES["tfjs-backend-wasm-threaded-simd.wasm"],
  gemmWorker: FileAttachment("../data/wasm/gemm-worker.js").href,
};

let started: Promise<BackendInfo> | undefined;

/** The choice saved in this browser (null when none, or when storage is off). */
function savedChoice(): string | null {
  try {
    return localStorage.getItem(BACKEND_STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Saves a choice for the next pages, or forgets it (null: automatic). Storage may be off: then only the URL carries it. */
function saveChoice(name: BackendName | null): void {
  try {
    if (name === null) localStorage.removeItem(BACKEND_STORAGE_KEY);
    else localStorage.setItem(BACKEND_STORAGE_KEY, name);
  } catch {
    // Private windows and blocked storage: nothing to keep.
  }
}

/** Initialises tfjs once per page load and mounts the backend badge. */
export function startRuntime(): Promise<BackendInfo> {
  started ??= (async () => {
    const gpu = typeof navigator !== "undefined" && "gpu" in navigator ? navigator.gpu : undefined;
    const request = resolveBackendRequest(location.search, savedChoice());
    if (request.keep !== undefined) saveChoice(request.keep);
    const automatic = chooseAutomatic(await probeGpu(gpu, { alsoWebGL: request.name === "webgl" }));
    const isolated = threadsAvailable();
    registerBrowserThreadedWasm(THREADED_WASM, browserWasmThreads(location.search, navigator.hardwareConcurrency ?? 1, isolated));
    const started = await initBackend(backendOrder(request.name, automatic), { wasmPaths: WASM_FILES, gpu });
    const threads = started.name === "wasm" ? runningBrowserWasmThreads() : undefined;
    const info: BackendInfo = threads === undefined ? started : { ...started, threads, threadsNote: singleThreadReason(threads, isolated) ?? undefined };
    const hardware = info.name === "webgpu" && info.software !== undefined ? { ...automatic.hardware, webgpu: !info.software } : automatic.hardware;
    const passedOver = request.name === null && info.name === automatic.order[0] && automatic.reason !== null;
    document.getElementById("maskau-backend")?.replaceChildren(
      BackendBadge(info, {
        onSwitch: switchBackend,
        speed: backendSpeed(info.name, hardware),
        reason: passedOver ? automatic.reason : null,
        offerWebGPU: passedOver && automatic.webgpuAvailable,
        source: request.source,
      }),
    );
    if (request.invalid !== null) {
      const running = request.source === "saved" ? `your saved choice, ${info.name}` : `${info.name}, the automatic choice`;
      // At the top of the page's content, where it is seen (the header has room for the badge only).
      const notice = BackendNotice(`?backend=${request.invalid} is not a backend (choose ${BACKENDS.join(", ")} or auto): running ${running}.`);
      const main = document.getElementById("observablehq-main");
      if (main) main.prepend(notice);
      else document.body.prepend(notice);
    }
    return info;
  })();
  return started;
}

/**
 * Reloads the page on another backend (tensors cannot move between backends mid-run) and
 * keeps the choice for the next pages; "auto" goes back to the automatic choice.
 */
export function switchBackend(name: BackendName | "auto"): void {
  saveChoice(name === "auto" ? null : name);
  const url = new URL(location.href);
  if (name === "auto") url.searchParams.delete("backend");
  else url.searchParams.set("backend", name);
  location.assign(url.toString());
}
