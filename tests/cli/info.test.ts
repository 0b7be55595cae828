import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { summariseDawnLog } from "../../cli/commands/info.js";

const run = promisify(execFile);

describe("maskau info", () => {
  it("prints versions and which backends initialise", async () => {
    const { stdout } = await run("node", ["cli/maskau.mjs", "info", "--json"], { env: { ...process.env } });
    const report = JSON.parse(stdout) as {
      versions: Record<string, string>;
      backends: { name: string; ok: boolean; detail: string }[];
    };
    expect(report.versions["@tensorflow/tfjs-core"]).toMatch(/^4\.22\./);
    expect(report.versions.node).toBe(process.versions.node);
    const byName = Object.fromEntries(report.backends.map((b) => [b.name, b]));
    expect(byName.wasm.ok).toBe(true);
    expect(byName.cpu.ok).toBe(true);
    // The unit project runs WebGPU on SwiftShader (MASKAU_WEBGPU=swiftshader).
    expect(byName.webgpu.ok, byName.webgpu.detail).toBe(true);
  });

  it("prints one line per backend and nothing on stderr when WebGPU finds no adapter", async () => {
    // No Vulkan driver: Dawn warns on its process's stderr, which info captures in a child process.
    const env: NodeJS.ProcessEnv = { ...process.env, VK_ICD_FILENAMES: "/nonexistent/icd.json" };
    delete env.MASKAU_WEBGPU;
    const { stdout, stderr } = await run("node", ["cli/maskau.mjs", "info"], { env });
    expect(stderr).toBe("");
    const lines = stdout.split("\n");
    const backends = lines.slice(lines.indexOf("backends") + 1).filter(Boolean);
    expect(backends.map((l) => l.trim().split(/\s+/)[0])).toEqual(["wasm", "cpu", "webgpu"]);
    expect(backends[2]).toMatch(/^ {2}webgpu +FAIL {2}no WebGPU adapter is available \(Vulkan found no GPU driver\); MASKAU_WEBGPU=swiftshader/);
  });

  it("summarises Dawn's Vulkan messages", () => {
    expect(summariseDawnLog("Warning: vkCreateInstance: Found no drivers!\nWarning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER\n")).toBe("Vulkan found no GPU driver");
    expect(summariseDawnLog("")).toBeNull();
  });

  it("exits non-zero with a message on an unknown command", async () => {
    await expect(run("node", ["cli/maskau.mjs", "no-such-command"])).rejects.toMatchObject({ code: 1 });
  });
});
