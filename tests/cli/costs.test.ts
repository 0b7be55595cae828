// `maskau costs`: Table 4 as JSON and text, from the same functions the library tests
// check (models/cost.ts, eval/costs.ts), and the tiny models' latency on a backend.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { formatCosts, type CostsReport } from "../../cli/commands/costs.js";
import { fullTable, tinyTable } from "../../src/lib/eval/costs.js";
import { allParams } from "../../src/lib/models/cost.js";
import { fixturePath } from "../support/shared.js";

const run = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", ["cli/maskau.mjs", "costs", ...args], { env: { ...process.env, MASKAU_WASM_THREADS: "1" } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("maskau costs", () => {
  it("--json: the tiny and full-size tables, the paper's figures on the Swin-B rows, the official parameter counts", async () => {
    const { code, stdout } = await cli("--json");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as CostsReport;
    expect(report.latency).toBeUndefined();
    expect(report.tiny).toEqual(JSON.parse(JSON.stringify(tinyTable())));
    expect(report.full).toEqual(JSON.parse(JSON.stringify(fullTable())));
    expect(report.tiny.rows.map((r) => r.key)).toEqual(["detector", "teacher", "student"]);
    expect(report.full.rows.map((r) => r.key)).toEqual(["megraphau-resnet50", "megraphau-swin-b", "teacher-resnet50", "teacher-swin-b", "student-resnet50", "student-swin-b"]);
    const official = JSON.parse(readFileSync(fixturePath("official_architectures.json"), "utf8")) as { models: Record<string, { parameters: number }> };
    const row = (key: string) => report.full.rows.find((r) => r.key === key)!;
    expect(allParams(row("megraphau-resnet50").total)).toBe(official.models.megraphau_mefl_resnet50_bp4d.parameters);
    expect(allParams(row("megraphau-swin-b").total)).toBe(official.models.megraphau_mefl_swin_transformer_base_bp4d.parameters);
    expect(row("megraphau-swin-b").paper).toEqual({ gmacs: 21.28, paramsM: 94.38 });
    expect(report.full.visiblePatches).toEqual([98, 196]);
    // Another mask ratio changes the teacher only.
    const r75 = JSON.parse((await cli("--json", "--mask-ratio", "0.75")).stdout) as CostsReport;
    expect(r75.full.visiblePatches).toEqual([49, 196]);
    expect(r75.full.rows.find((r) => r.key === "student-swin-b")).toEqual(row("student-swin-b"));
    expect(r75.full.rows.find((r) => r.key === "teacher-swin-b")!.total.macs).toBeLessThan(row("teacher-swin-b").total.macs);
  });

  it("--latency: time per face of the tiny detector, teacher and student on the cpu backend, as text", async () => {
    const { code, stdout, stderr } = await cli("--latency", "--backends", "cpu", "--runs", "2", "--warmup", "1");
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Tiny models \(64 px, 12 AUs; the teacher's MAE encodes 32 of 64 patches\)/);
    expect(stdout).toMatch(/model +params +GMACs +GMACs \(modules\) +cpu ms\/face\n/);
    for (const label of ["Detector \\(clean\\)", "Teacher", "Student"]) expect(stdout).toMatch(new RegExp(`\\n  ${label} +[\\d,]+ +0\\.\\d{4} +0\\.\\d{4} +\\d+\\.\\d\\d\\n`));
    expect(stdout).toMatch(/ME-GraphAU \(Swin-B\) +94\.38 M +16\.38 +21\.26 +21\.28 +94\.38 M/);
    expect(stdout).toMatch(/Latency: median of 2 forwards after 1 warm-up, batch 1/);
    expect(stderr).toMatch(/timing the tiny models on cpu/);
  });

  it("labels a software WebGPU device and reports a backend that does not start", () => {
    const base = { tiny: tinyTable(), full: fullTable() };
    const results = { detector: { msPerFace: 1, minMsPerFace: 1, runs: 1 }, teacher: { msPerFace: 2, minMsPerFace: 2, runs: 1 }, student: { msPerFace: 3, minMsPerFace: 3, runs: 1 } };
    const text = formatCosts({
      ...base,
      latency: {
        batch: 1,
        warmup: 0,
        runs: 1,
        backends: [
          { backend: "webgpu", label: "webgpu · google/swiftshader", software: true, results },
          { backend: "wasm", error: "no wasm here" },
        ],
      },
    });
    expect(text).toMatch(/webgpu \(software\) ms\/face/);
    expect(text).toMatch(/webgpu: webgpu · google\/swiftshader - a software device on the CPU/);
    expect(text).toMatch(/wasm: not available here \(no wasm here\)/);
  });

  it("refuses a backend Node does not have", async () => {
    const r = await cli("--latency", "--backends", "webgl");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--backends: "webgl" is not a Node backend/);
  });
});
