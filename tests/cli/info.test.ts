import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

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

  it("exits non-zero with a message on an unknown command", async () => {
    await expect(run("node", ["cli/maskau.mjs", "no-such-command"])).rejects.toMatchObject({ code: 1 });
  });
});
