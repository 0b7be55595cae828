// Starts the compute backend for a page: the URL's `?backend=` if it names one, otherwise
// the automatic choice (the fastest backend the GPU probes point to:
// src/lib/tf/backend-choice.ts); shows the badge in the header.
import { FileAttachment } from "observablehq:stdlib";
import { initBackend, isBackendName, type BackendInfo, type BackendName } from "../lib/tf/backend.js";
import { backendOrder, backendSpeed, chooseAutomatic } from "../lib/tf/backend-choice.js";
import { BackendBadge } from "./backend-badge.js";
import { probeGpu } from "./gpu-probe.js";

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
    const query = new URLSearchParams(location.search).get("backend");
    if (query !== null && !isBackendName(query)) console.warn(`?backend=${query} is not a backend; using the automatic choice`);
    const asked = isBackendName(query) ? query : null;
    const automatic = chooseAutomatic(await probeGpu(gpu, { alsoWebGL: asked === "webgl" }));
    const info = await initBackend(backendOrder(asked, automatic), { wasmPaths: WASM_FILES, gpu });
    const hardware = info.name === "webgpu" && info.software !== undefined ? { ...automatic.hardware, webgpu: !info.software } : automatic.hardware;
    const passedOver = asked === null && info.name === automatic.order[0] && automatic.reason !== null;
    document.getElementById("maskau-backend")?.replaceChildren(
      BackendBadge(info, {
        onSwitch: switchBackend,
        speed: backendSpeed(info.name, hardware),
        reason: passedOver ? automatic.reason : null,
        offerWebGPU: passedOver && automatic.webgpuAvailable,
      }),
    );
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
