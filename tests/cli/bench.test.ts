import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

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

  it("names the workloads when asked for an unknown one", async () => {
    await expect(run("node", ["cli/maskau.mjs", "bench", "--workloads", "mae_nope", "--no-anchor"])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/unknown workload "mae_nope".*mae_infer, mae_train, gcn, student_kd_step/),
    });
  });
});
