import { describe, expect, it } from "vitest";
import { isSoftwareAdapter } from "../../../src/lib/tf/backend.js";
import {
  backendOrder,
  backendSpeed,
  chooseAutomatic,
  needsWebGLProbe,
  resolveBackendRequest,
  type GpuProbe,
} from "../../../src/lib/tf/backend-choice.js";

// What Chromium 156 reports on a machine without a GPU (headless, --enable-unsafe-webgpu).
const SWIFTSHADER = { vendor: "google", architecture: "swiftshader", device: "", description: "", isFallbackAdapter: true };
const SWIFTSHADER_GL = "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)";
const NVIDIA = { vendor: "nvidia", architecture: "hopper", device: "", description: "" };
const NVIDIA_GL = "ANGLE (NVIDIA, NVIDIA H200 (0x00002335) Direct3D11 vs_5_0 ps_5_0, D3D11)";

function probe(webgpu: Partial<GpuProbe["webgpu"]>, webgl?: string | null): GpuProbe {
  return { webgpu: { api: true, adapter: null, fallback: false, ...webgpu }, webgl };
}

describe("software adapters", () => {
  it("knows a fallback adapter and SwiftShader by its info, and a GPU", () => {
    expect(isSoftwareAdapter(SWIFTSHADER)).toBe(true);
    expect(isSoftwareAdapter({ vendor: "google", architecture: "swiftshader" })).toBe(true);
    expect(isSoftwareAdapter({ vendor: "intel", architecture: "gen-12lp", isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: "mesa", description: "llvmpipe (LLVM 15.0.6, 256 bits)" })).toBe(true);
    expect(isSoftwareAdapter(NVIDIA)).toBe(false);
    expect(isSoftwareAdapter({ vendor: "apple", architecture: "metal-3", isFallbackAdapter: false })).toBe(false);
  });
});

describe("automatic backend choice", () => {
  it("runs WebGPU first on a hardware adapter (and does not need WebGL's renderer)", () => {
    const p = probe({ adapter: NVIDIA });
    expect(needsWebGLProbe(p.webgpu)).toBe(false);
    expect(chooseAutomatic(p)).toEqual({
      order: ["webgpu", "webgl", "wasm", "cpu"],
      reason: null,
      hardware: { webgpu: true, webgl: null },
      webgpuAvailable: true,
    });
  });

  it("prefers wasm when the only WebGPU adapter is SwiftShader, and says why", () => {
    const p = probe({ adapter: SWIFTSHADER, fallback: true }, SWIFTSHADER_GL);
    expect(needsWebGLProbe(p.webgpu)).toBe(true);
    const choice = chooseAutomatic(p);
    expect(choice.order).toEqual(["wasm", "webgpu", "webgl", "cpu"]);
    expect(choice.reason).toBe("WebGPU here is a software adapter");
    expect(choice.hardware).toEqual({ webgpu: false, webgl: false });
    expect(choice.webgpuAvailable).toBe(true);
  });

  it("treats requestAdapter() returning null (only a forced fallback adapter) as software WebGPU", () => {
    const choice = chooseAutomatic(probe({ adapter: null, fallback: true }, null));
    expect(choice.order[0]).toBe("wasm");
    expect(choice.reason).toBe("WebGPU here is a software adapter");
    expect(choice.webgpuAvailable).toBe(true);
  });

  it("without any WebGPU adapter or API, runs wasm and says which", () => {
    const none = chooseAutomatic(probe({ adapter: null, fallback: false }, null));
    expect(none.order[0]).toBe("wasm");
    expect(none.reason).toBe("WebGPU has no adapter here");
    expect(none.webgpuAvailable).toBe(false);
    const noApi = chooseAutomatic({ webgpu: { api: false, adapter: null, fallback: false } });
    expect(noApi.reason).toBe("this browser has no WebGPU");
    expect(noApi.webgpuAvailable).toBe(false);
  });

  it("uses WebGL when it renders on a GPU but WebGPU does not", () => {
    const choice = chooseAutomatic(probe({ adapter: SWIFTSHADER, fallback: true }, NVIDIA_GL));
    expect(choice.order).toEqual(["webgl", "wasm", "webgpu", "cpu"]);
    expect(choice.hardware).toEqual({ webgpu: false, webgl: true });
    expect(chooseAutomatic({ webgpu: { api: false, adapter: null, fallback: false }, webgl: NVIDIA_GL }).order[0]).toBe("webgl");
  });
});

describe("asked-for backend", () => {
  it("takes the URL first, then the saved choice, then the automatic one", () => {
    expect(resolveBackendRequest("?backend=wasm", "cpu")).toEqual({ name: "wasm", source: "url", invalid: null, keep: "wasm" });
    expect(resolveBackendRequest("?face=2", "cpu")).toEqual({ name: "cpu", source: "saved", invalid: null });
    expect(resolveBackendRequest("", null)).toEqual({ name: null, source: "automatic", invalid: null });
    expect(resolveBackendRequest("", "tpu")).toEqual({ name: null, source: "automatic", invalid: null });
    // ?backend=auto forgets the saved choice.
    expect(resolveBackendRequest("?backend=auto", "cpu")).toEqual({ name: null, source: "automatic", invalid: null, keep: null });
  });

  it("reports a ?backend= value that names no backend and falls through", () => {
    expect(resolveBackendRequest("?backend=nonsense", null)).toEqual({ name: null, source: "automatic", invalid: "nonsense" });
    expect(resolveBackendRequest("?backend=", "wasm")).toEqual({ name: "wasm", source: "saved", invalid: "" });
  });

  it("tries the asked-for backend first, then the automatic order", () => {
    const soft = chooseAutomatic(probe({ adapter: SWIFTSHADER, fallback: true }, SWIFTSHADER_GL));
    expect(backendOrder(null, soft)).toEqual(["wasm", "webgpu", "webgl", "cpu"]);
    expect(backendOrder("webgpu", soft)).toEqual(["webgpu", "wasm", "webgl", "cpu"]);
    expect(backendOrder("cpu", soft)).toEqual(["cpu", "wasm", "webgpu", "webgl"]);
  });
});

describe("badge colour by speed", () => {
  it("is fast for GPU backends on hardware, moderate for wasm, slow for software devices and cpu", () => {
    expect(backendSpeed("webgpu", { webgpu: true, webgl: null })).toBe("fast");
    expect(backendSpeed("webgl", { webgpu: false, webgl: true })).toBe("fast");
    expect(backendSpeed("wasm", { webgpu: true, webgl: true })).toBe("moderate");
    expect(backendSpeed("webgpu", { webgpu: false, webgl: false })).toBe("slow");
    expect(backendSpeed("webgl", { webgpu: false, webgl: false })).toBe("slow");
    expect(backendSpeed("cpu", { webgpu: true, webgl: true })).toBe("slow");
  });
});
