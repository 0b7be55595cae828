// Node-only backend setup: wasm binaries from node_modules, WebGPU through Dawn
// (the npm `webgpu` package). Imported by the CLI and the tests, never by pages.
import * as tf from "@tensorflow/tfjs-core";
import { existsSync } from "node:fs";
import { createRequire, register } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { initBackend, NODE_PREFERENCE, type BackendInfo, type BackendName } from "./backend.js";
import { registerThreadedWasm, runningWasmThreads, wasmThreads } from "./wasm-threads.js";
import * as gemmBinaries from "./wasm/gemm.wasm.js";
import { setFusedMultiplyAdd, usesFusedMultiplyAdd } from "./wasm/instance.js";

const require = createRequire(import.meta.url);

// Relaxed SIMD (the matmul kernel's fused multiply-add) ships in Chromium 114+ and behind a
// flag in Node 20's V8; the flag is process-wide, so worker threads see it too. Without it,
// or with MASKAU_WASM_FMA=0, the kernels run their plain-SIMD build (wasm/instance.ts).
setFlagsFromString("--experimental-wasm-relaxed-simd");
if (process.env.MASKAU_WASM_FMA === "0") setFusedMultiplyAdd(false);

/** SwiftShader's Vulkan driver as Debian's chromium package ships it. */
export const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

/** Directory holding tfjs-backend-wasm's .wasm files, with a trailing slash. */
export function wasmDir(): string {
  return join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/";
}

let dawn: GPU | undefined;

/**
 * Dawn's WebGPU entry point. Without a GPU driver, point Vulkan at SwiftShader
 * first (VK_ICD_FILENAMES), which is what tests do when `MASKAU_WEBGPU=swiftshader`
 * or no other ICD is configured.
 */
export async function dawnGPU(): Promise<GPU> {
  if (dawn) return dawn;
  if (process.env.MASKAU_WEBGPU === "swiftshader" && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  // XDG_RUNTIME_DIR unset makes Vulkan loaders print noise; it is harmless.
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  const { create, globals } = (await import("webgpu")) as unknown as {
    create: (flags: string[]) => GPU;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, globals);
  dawn = create([]);
  if (typeof globalThis.navigator === "undefined") {
    Object.defineProperty(globalThis, "navigator", { value: { gpu: dawn }, configurable: true });
  } else if (!("gpu" in globalThis.navigator)) {
    Object.defineProperty(globalThis.navigator, "gpu", { value: dawn, configurable: true });
  }
  return dawn;
}

/**
 * tfjs-core registers its gradients from its ES-module build (see ./kernels/core-gradients.ts),
 * whose relative imports omit the ".js" extension. Node's ESM resolver rejects those, so
 * this resolve hook adds ".js" to them, for imports made inside tfjs-core's dist folder only.
 */
const TFJS_CORE_RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  const extensionless = specifier.startsWith(".") && !specifier.endsWith(".js")
    && (context.parentURL ?? "").includes("/@tensorflow/tfjs-core/dist/");
  if (extensionless) {
    try {
      return await next(specifier + ".js", context);
    } catch {
      // not a file: let Node resolve it as written
    }
  }
  return next(specifier, context);
}`;

let resolveHookRegistered = false;

function allowTfjsCoreExtensionlessImports(): void {
  if (resolveHookRegistered) return;
  resolveHookRegistered = true;
  register("data:text/javascript," + encodeURIComponent(TFJS_CORE_RESOLVE_HOOK));
}

/**
 * Registers tfjs-core's gradients with Node's own module loader. The import goes through a
 * data: module so that module runners which transform imports (vitest) do not send the
 * ~800 modules of tfjs-core's ES build through their pipeline (2-3x slower). initBackend
 * then finds the gradients registered (see ./kernels/core-gradients.ts).
 */
async function loadTfjsCoreGradients(): Promise<void> {
  if (tf.getGradient(tf.BatchMatMul)) return;
  allowTfjsCoreExtensionlessImports();
  const url = pathToFileURL(require.resolve("@tensorflow/tfjs-core/dist/register_all_gradients.js")).href;
  const loader = "data:text/javascript,export default (url) => import(url);";
  const { default: load } = (await import(/* @vite-ignore */ loader)) as { default: (url: string) => Promise<unknown> };
  await load(url);
}

/**
 * Initialises a backend in Node: wasm by default (threaded, see ./wasm-threads.ts), cpu or
 * webgpu (Dawn) on request.
 */
export async function initNodeBackend(
  preference: BackendName | readonly BackendName[] = NODE_PREFERENCE,
): Promise<BackendInfo> {
  const order = typeof preference === "string" ? [preference] : preference;
  if (order.includes("webgl")) throw new Error("the webgl backend needs a browser; in Node use wasm, cpu or webgpu");
  const gpu = order.includes("webgpu") ? await dawnGPU() : undefined;
  // The cpu backend greets Node users with advice to install tfjs-node, which
  // cannot be installed offline; MaskAU's Node backends are wasm and Dawn.
  const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
  await loadTfjsCoreGradients();
  if (order.includes("wasm")) registerThreadedWasm(wasmThreads());
  const info = await initBackend(order, { wasmPaths: wasmDir(), gpu });
  return info.name === "wasm" ? { ...info, threads: runningWasmThreads(), fma: usesFusedMultiplyAdd(gemmBinaries) } : info;
}
