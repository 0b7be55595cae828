// Starts the compute backend for a page: reads `?backend=` from the URL, falls
// back along webgpu -> webgl -> wasm -> cpu, and shows the badge in the header.
import { FileAttachment } from "observablehq:stdlib";
import { initBackend, isBackendName, preferenceFromQuery, type BackendInfo, type BackendName } from "../lib/tf/backend.js";
import { BackendBadge } from "./backend-badge.js";

// The site serves tfjs's wasm binaries itself (see src/data/wasm/*.wasm.ts).
const WASM_FILES: Record<string, string> = {
  "tfjs-backend-wasm.wasm": FileAttachment("../data/wasm/tfjs-backend-wasm.wasm").href,
  "tfjs-backend-wasm-simd.wasm": FileAttachment("../data/wasm/tfjs-backend-wasm-simd.wasm").href,
  "tfjs-backend-wasm-threaded-simd.wasm": FileAttachment("../data/wasm/tfjs-backend-wasm-threaded-simd.wasm").href,
};

let started: Promise<BackendInfo> | undefined;

/** Initialises tfjs once per page load and mounts the backend badge. */
export function startRuntime(): Promise<BackendInfo> {
  started ??= (async () => {
    const gpu = typeof navigator !== "undefined" && "gpu" in navigator ? navigator.gpu : undefined;
    const asked = new URLSearchParams(location.search).get("backend");
    if (asked !== null && !isBackendName(asked)) console.warn(`?backend=${asked} is not a backend; using the default order`);
    const info = await initBackend(preferenceFromQuery(location.search), { wasmPaths: WASM_FILES, gpu });
    const slot = document.getElementById("maskau-backend");
    if (slot) slot.replaceChildren(BackendBadge(info, { onSwitch: switchBackend }));
    return info;
  })();
  return started;
}

/** Reloads the page on another backend: tensors cannot move between backends mid-run. */
export function switchBackend(name: BackendName): void {
  const url = new URL(location.href);
  url.searchParams.set("backend", name);
  location.assign(url.toString());
}
