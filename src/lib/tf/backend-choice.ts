// Which backend a browser page runs on: the one asked for (the URL's `?backend=`, else
// the choice saved in this browser), otherwise the fastest one the GPU probes point to.
// Pure functions of what the page found out, so that tests/lib/tf/backend-choice.test.ts
// can check every case without a browser.
//
// Why not simply WebGPU first: without a GPU, Chromium's WebGPU runs on SwiftShader, a
// software (fallback) adapter 40-100x slower than wasm, and its WebGL on SwiftShader too.
import { BROWSER_PREFERENCE, isBackendName, isSoftwareAdapter, type AdapterFacts, type BackendName } from "./backend.js";

/** The key of the saved choice in localStorage. */
export const BACKEND_STORAGE_KEY = "maskau.backend";

/** What a page found out about its GPU before starting a backend. */
export interface GpuProbe {
  webgpu: {
    /** Whether the browser has WebGPU at all (`navigator.gpu`). */
    api: boolean;
    /** What `requestAdapter()` (no options) returned, or null when it returned no adapter. */
    adapter: AdapterFacts | null;
    /** Whether `requestAdapter({forceFallbackAdapter: true})` returns an adapter (software WebGPU). */
    fallback: boolean;
  };
  /** The WebGL renderer string (unmasked where the browser tells it); null without WebGL; absent when not probed. */
  webgl?: string | null;
}

export interface AutomaticChoice {
  /** Backends in the order to try them. */
  order: BackendName[];
  /** Why the first choice is not WebGPU on a GPU, in a few words for the badge; null when it is. */
  reason: string | null;
  /** Whether WebGPU has a hardware adapter, and whether WebGL renders on hardware (null: not known). */
  hardware: { webgpu: boolean; webgl: boolean | null };
  /** Whether WebGPU could start at all, on any adapter ("use WebGPU anyway" can work). */
  webgpuAvailable: boolean;
}

/** Whether a WebGL renderer string names a software rasteriser (SwiftShader, llvmpipe, ...). */
export function isSoftwareRenderer(renderer: string): boolean {
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i.test(renderer);
}

/** Whether the page should also look at WebGL before choosing: only when WebGPU has no hardware adapter. */
export function needsWebGLProbe(webgpu: GpuProbe["webgpu"]): boolean {
  return !(webgpu.adapter && !isSoftwareAdapter(webgpu.adapter));
}

/**
 * The automatic order: WebGPU on a hardware adapter first; without one, WebGL when it
 * renders on hardware; otherwise wasm, with the software GPU backends after it.
 */
export function chooseAutomatic(probe: GpuProbe): AutomaticChoice {
  const { api, adapter, fallback } = probe.webgpu;
  const webgpuHardware = adapter !== null && !isSoftwareAdapter(adapter);
  const webgl = probe.webgl === undefined || probe.webgl === null ? null : !isSoftwareRenderer(probe.webgl);
  const hardware = { webgpu: webgpuHardware, webgl };
  const webgpuAvailable = api && (adapter !== null || fallback);
  if (webgpuHardware) return { order: [...BROWSER_PREFERENCE], reason: null, hardware, webgpuAvailable };
  const reason = !api ? "this browser has no WebGPU" : adapter !== null || fallback ? "WebGPU here is a software adapter" : "WebGPU has no adapter here";
  const order: BackendName[] = webgl ? ["webgl", "wasm", "webgpu", "cpu"] : ["wasm", "webgpu", "webgl", "cpu"];
  return { order, reason, hardware, webgpuAvailable };
}

/** Where the page's backend comes from. */
export interface BackendRequest {
  /** The backend asked for, or null for the automatic choice. */
  name: BackendName | null;
  source: "url" | "saved" | "automatic";
  /** A `?backend=` value that names no backend (the page says so), or null. */
  invalid: string | null;
  /** What to keep for the next pages: a backend, null to forget the saved one; absent to leave it as it is. */
  keep?: BackendName | null;
}

/**
 * The URL's `?backend=` wins, then the choice saved in this browser, then the automatic
 * choice. `?backend=auto` asks for the automatic choice; a value that names no backend is
 * reported and ignored (the saved choice, else the automatic one, applies).
 */
export function resolveBackendRequest(search: string, saved: string | null): BackendRequest {
  const asked = new URLSearchParams(search).get("backend");
  if (isBackendName(asked)) return { name: asked, source: "url", invalid: null, keep: asked };
  if (asked === "auto") return { name: null, source: "automatic", invalid: null, keep: null };
  if (isBackendName(saved)) return { name: saved, source: "saved", invalid: asked };
  return { name: null, source: "automatic", invalid: asked };
}

/** The order to try: the asked-for backend first, then the automatic order. */
export function backendOrder(asked: BackendName | null, automatic: AutomaticChoice): BackendName[] {
  return asked === null ? [...automatic.order] : [asked, ...automatic.order.filter((b) => b !== asked)];
}

/** How fast a running backend is here, which is what the badge's colour says. */
export type BackendSpeed = "fast" | "moderate" | "slow";

/** GPU backends on hardware are fast, wasm is moderate, a GPU backend on a software device and cpu are slow. */
export function backendSpeed(name: BackendName, hardware: AutomaticChoice["hardware"]): BackendSpeed {
  if (name === "wasm") return "moderate";
  if (name === "cpu") return "slow";
  const onHardware = name === "webgpu" ? hardware.webgpu : hardware.webgl;
  return onHardware === null ? "moderate" : onHardware ? "fast" : "slow";
}

/** One line for the badge's tooltip: what the speed means for this backend. */
export function speedNote(name: BackendName, speed: BackendSpeed): string {
  if (name === "wasm") return "wasm runs on the CPU (WebAssembly with SIMD): the fast choice without a GPU";
  if (name === "cpu") return "cpu runs in plain JavaScript: the slowest backend";
  if (speed === "fast") return `${name} runs on the GPU`;
  if (speed === "slow") return `${name} runs on a software device here: correct, but many times slower than wasm`;
  return `${name}: whether it runs on a GPU is not known`;
}
