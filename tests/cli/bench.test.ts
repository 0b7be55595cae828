import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { checkBenchReference } from "../../src/lib/bench/reference.js";

const run = promisify(execFile);

describe("maskau bench", () => {
  it("times a workload on wasm and reports GFLOP/s and flat memory as JSON", async () => {
    const { stdout } = await run(
      "node",
      ["cli/maskau.mjs", "bench", "--backends", "wasm", "--workloads", "gcn", "--warmup", "1", "--iters", "3", "--no-anchor", "--json"],
      { env: { ...process.env } },
    );
    const report = JSON.parse(stdout) as {
      rows: { workload: string; backend: string; median_ms: number; min_ms: number; gflop: number; gflops_per_s: number; tensors: number[]; bytes: number[] }[];
      anchor: unknown;
      skipped: unknown[];
      iters: number;
    };
    expect(report.anchor).toBeNull();
    expect(report.skipped).toEqual([]);
    expect(report.iters).toBe(3);
    expect(report.rows).toHaveLength(1);
    const [row] = report.rows;
    expect(row.workload).toBe("gcn");
    expect(row.backend).toMatch(/^wasm/);
    expect(row.gflop).toBeCloseTo(0.2322432, 6);
    expect(row.min_ms).toBeGreaterThan(0);
    expect(row.median_ms).toBeGreaterThanOrEqual(row.min_ms);
    expect(row.gflops_per_s).toBeCloseTo(row.gflop / (row.median_ms / 1000), 6);
    // Sampled after the warm-up and at the end (also under --json, which draws no progress bar).
    expect(row.tensors[0]).toBeGreaterThan(0);
    expect(row.bytes[0]).toBeGreaterThan(0);
    expect(row.tensors[1]).toBe(row.tensors[0]);
    expect(row.bytes[1]).toBe(row.bytes[0]);
  });

  it("--record writes the wasm figures and this machine as the Speed page's recorded figures, with the command that rebuilds them", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "maskau-bench-")), "reference.json");
    const args = ["bench", "--backends", "wasm", "--workloads", "gcn", "--warmup", "1", "--iters", "2", "--no-anchor", "--record", file, "--note", "a test run"];
    const { stdout } = await run("node", ["cli/maskau.mjs", ...args]);
    expect(stdout).toContain(`recorded in ${file} (without torch figures: the anchor did not run)`);
    const record = checkBenchReference(JSON.parse(readFileSync(file, "utf8")));
    expect(record.command).toBe(`npx maskau ${args.slice(0, -1).join(" ")} "a test run"`);
    expect(record.note).toBe("a test run");
    expect(record.measured).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(record.machine.cores).toBeGreaterThan(0);
    expect(record.machine.node).toBe(process.version);
    expect(record.backend).toMatch(/^wasm/);
    expect(record.torch).toBeNull();
    expect([record.warmup, record.iters]).toEqual([1, 2]);
    expect(Object.keys(record.workloads)).toEqual(["gcn"]);
    expect(record.workloads.gcn.gflop).toBeCloseTo(0.2322432, 6);
    expect(record.workloads.gcn.wasm!.gflops_per_s).toBeCloseTo(0.2322432 / (record.workloads.gcn.wasm!.median_ms / 1000), 6);
    expect(record.workloads.gcn.torch).toBeNull();
  });

  it("names the workloads when asked for an unknown one", async () => {
    await expect(run("node", ["cli/maskau.mjs", "bench", "--workloads", "mae_nope", "--no-anchor"])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/unknown workload "mae_nope".*mae_infer, mae_train, gcn, student_kd_step/),
    });
  });
});
