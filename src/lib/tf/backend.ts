// Compute backend selection and initialisation: the one place that knows which
// tfjs backend runs. Everything else calls `tf.*` and stays backend-agnostic.
//
// Browser: the page asks for an order (./backend-choice.ts decides it from the URL, the
// saved choice and what the GPU is). Node: wasm by default, cpu on request, webgpu
// through Dawn (see ./node.ts, which supplies `gpu`).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import { registerKernelFixes } from "./kernels/index.js";

export const BACKENDS = ["webgpu", "webgl", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

export const BROWSER_PREFERENCE: readonly BackendName[] = ["webgpu", "webgl", "wasm", "cpu"];
export const NODE_PREFERENCE: readonly BackendName[] = ["wasm", "cpu"];

/** What is running, for badges, logs and checkpoint metadata. */
export interface BackendInfo {
  name: BackendName;
  /** WebGPU adapter description ("google/swiftshader", "nvidia/hopper", ...), when known. */
  adapter?: string;
  /** WebGPU only: whether the adapter is a software (fallback) one such as SwiftShader. */
  software?: boolean;
  /** Threads of the wasm backend's XNNPACK pool, when known. */
  threads?: number;
  /**
   * Wasm only: whether MaskAU's matmul kernel runs its relaxed-SIMD build (fused
   * multiply-adds; results differ from the plain build's in the last bits), when known.
   */
  fma?: boolean;
  /** Why the wasm backend runs on one thread, when it does and the reason is known. */
  threadsNote?: string;
  /** Backends tried before this one, with the reason each failed. */
  fallbacks: { name: BackendName; error: string }[];
}

export interface InitOptions {
  /** Where the wasm binaries are served: a URL prefix or a map file name -> URL. */
  wasmPaths?: string | Record<string, string>;
  /** A WebGPU entry point (`navigator.gpu` in the browser, Dawn's `create([])` in Node). */
  gpu?: GPU;
}

export function isBackendName(name: unknown): name is BackendName {
  return typeof name === "string" && (BACKENDS as readonly string[]).includes(name);
}

/** What a WebGPU adapter says about itself (GPUAdapterInfo, or a plain copy of it). */
export interface AdapterFacts {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/**
 * Whether an adapter runs on the CPU: a fallback adapter, or one that names a software
 * rasteriser (Chromium's is vendor "google", architecture "swiftshader").
 */
export function isSoftwareAdapter(info: AdapterFacts): boolean {
  if (info.isFallbackAdapter) return true;
  const text = [info.vendor, info.architecture, info.device, info.description].join(" ");
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i.test(text);
}

let adapterName: string | undefined;
let adapterSoftware: boolean | undefined;

/**
 * Registers a webgpu backend factory that asks for any adapter, including a
 * fallback (software) adapter such as SwiftShader, and remembers its name.
 * tfjs's own factory requests a high-performance adapter only, which fails on
 * machines whose only WebGPU device is a software one.
 */
function registerWebGPU(gpu: GPU): void {
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  tf.registerBackend(
    "webgpu",
    async () => {
      const adapter =
        (await gpu.requestAdapter({ powerPreference: "high-performance" })) ??
        (await gpu.requestAdapter()) ??
        (await gpu.requestAdapter({ forceFallbackAdapter: true }));
      if (!adapter) throw new Error("no WebGPU adapter is available");
      const limits = adapter.limits;
      const requiredFeatures: GPUFeatureName[] = [];
      if (adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
          maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        },
      });
      const info = adapter.info;
      adapterName = describeAdapter(info);
      // Older implementations have the flag on the adapter rather than on its info.
      const fallback = info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
      adapterSoftware = isSoftwareAdapter({ ...copyInfo(info), isFallbackAdapter: fallback });
      return new WebGPUBackend(device, info);
    },
    3,
  );
}

function copyInfo(info: GPUAdapterInfo | undefined): AdapterFacts {
  return info ? { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description } : {};
}

function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return "unknown adapter";
  const parts = [info.vendor, info.architecture || info.device].filter((s) => s && s.length > 0);
  const name = parts.join("/") || info.description || "unknown adapter";
  return info.description && !name.includes(info.description) && parts.length === 0 ? info.description : name;
}

/**
 * Initialises the first backend of `preference` that works and returns what is
 * running. Each backend is initialised at most once per process; kernel and
 * gradient fixes for known backend gaps are registered before any op runs.
 */
export async function initBackend(
  preference: BackendName | readonly BackendName[],
  options: InitOptions = {},
): Promise<BackendInfo> {
  const order = typeof preference === "string" ? [preference] : preference;
  if (order.length === 0) throw new Error("initBackend: no backend named");
  await registerKernelFixes();
  if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths as never);
  if (options.gpu) registerWebGPU(options.gpu);
  const fallbacks: BackendInfo["fallbacks"] = [];
  for (const name of order) {
    if (!isBackendName(name)) {
      throw new Error(`unknown backend "${String(name)}": choose one of ${BACKENDS.join(", ")}`);
    }
    try {
      if (name === "webgpu" && !tf.findBackendFactory("webgpu")) {
        throw new Error("WebGPU is not available here (no navigator.gpu)");
      }
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error(`tfjs could not initialise the ${name} backend`);
      await tf.ready();
      return name === "webgpu" ? { name, adapter: adapterName, software: adapterSoftware, fallbacks } : { name, fallbacks };
    } catch (e) {
      fallbacks.push({ name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  const tried = fallbacks.map((f) => `${f.name}: ${f.error}`).join("; ");
  throw new Error(`no compute backend could be initialised (${tried})`);
}

/** The running backend, for code that only reports it. */
export function currentBackend(): BackendInfo {
  const name = tf.getBackend();
  if (!isBackendName(name)) throw new Error("no compute backend is initialised: call initBackend first");
  return name === "webgpu" ? { name, adapter: adapterName, software: adapterSoftware, fallbacks: [] } : { name, fallbacks: [] };
}

/** Human-readable label, e.g. "webgpu · google/swiftshader". */
export function backendLabel(info: Pick<BackendInfo, "name" | "adapter" | "threads" | "fma">): string {
  if (info.adapter) return `${info.name} · ${info.adapter}`;
  const parts: string[] = [info.name];
  if (info.threads && info.threads > 1) parts.push(`${info.threads} threads`);
  if (info.fma) parts.push("FMA");
  return parts.join(" · ");
}
