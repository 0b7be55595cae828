// What the browser's GPU is, found out before a backend starts: the WebGPU adapter
// requestAdapter() gives (and whether a fallback one exists), and the WebGL renderer.
// The choice made from these lives in src/lib/tf/backend-choice.ts.
import { needsWebGLProbe, type GpuProbe } from "../lib/tf/backend-choice.js";

async function probeWebGPU(gpu: GPU | undefined): Promise<GpuProbe["webgpu"]> {
  if (!gpu) return { api: false, adapter: null, fallback: false };
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter) {
      const info = adapter.info;
      // Older implementations have the flag on the adapter rather than on its info.
      const isFallbackAdapter = info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
      return { api: true, adapter: { vendor: info?.vendor, architecture: info?.architecture, device: info?.device, description: info?.description, isFallbackAdapter }, fallback: false };
    }
    return { api: true, adapter: null, fallback: (await gpu.requestAdapter({ forceFallbackAdapter: true })) !== null };
  } catch {
    return { api: true, adapter: null, fallback: false };
  }
}

/** The WebGL renderer string, unmasked where the browser allows it; null without WebGL. */
export function webglRenderer(): string | null {
  try {
    const canvas = document.createElement("canvas");
    const gl = (canvas.getContext("webgl2") ?? canvas.getContext("webgl")) as WebGLRenderingContext | null;
    if (!gl) return null;
    const debug = gl.getExtension("WEBGL_debug_renderer_info");
    const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return renderer;
  } catch {
    return null;
  }
}

/** Probes WebGPU, and WebGL too when it matters (WebGPU has no hardware adapter, or `alsoWebGL`). */
export async function probeGpu(gpu: GPU | undefined, { alsoWebGL = false } = {}): Promise<GpuProbe> {
  const webgpu = await probeWebGPU(gpu);
  return needsWebGLProbe(webgpu) || alsoWebGL ? { webgpu, webgl: webglRenderer() } : { webgpu };
}
