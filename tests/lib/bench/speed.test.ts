// The Speed page's engine (src/lib/bench/speed-*.ts, reference.ts) on wasm in Node: timing
// with a turn between steps, a stop that ends the run after the step under way and keeps
// the steps timed so far, flat memory, the settings in the URL, the comparison with the
// recorded figures and the estimates of typical runs, and the shipped record's shape.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { benchReference, checkBenchReference, type BenchReference } from "../../../src/lib/bench/reference.js";
import { compareSpeed, estimateRuns, TYPICAL_RUNS } from "../../../src/lib/bench/speed-compare.js";
import { runSpeed } from "../../../src/lib/bench/speed-run.js";
import { SpeedSession, type SpeedSnapshot } from "../../../src/lib/bench/speed-session.js";
import { readSpeedSettings, SPEED_WORKLOADS, speedQuery, WORKLOAD_GFLOP } from "../../../src/lib/bench/speed-settings.js";
import { useBackend } from "../tf/backends.js";

const REFERENCE = checkBenchReference(JSON.parse(readFileSync("src/data/bench-reference.json", "utf8")));

describe("Speed page engine", () => {
  it("times workloads with a turn between steps, reports GFLOP/s from gflop / ms, and leaks nothing", async () => {
    await useBackend("wasm");
    const before = tf.memory().numTensors;
    let turns = 0;
    const progress: number[] = [];
    const { rows, stopped } = await runSpeed({
      workloads: ["gcn", "detector_train"],
      warmup: 1,
      iters: 2,
      between: async () => void turns++,
      stopRequested: () => false,
      onProgress: (p) => progress.push(p.done),
    });
    expect(stopped).toBe(false);
    expect(rows.map((r) => r.workload)).toEqual(["gcn", "detector_train"]);
    // One turn before building each workload and one before each of its 3 steps.
    expect(turns).toBe(2 * 4);
    expect(progress.at(-1)).toBe(5);
    for (const r of rows) {
      expect(r.gflop).toBeCloseTo(WORKLOAD_GFLOP[r.workload], 9);
      expect(r.minMs).toBeGreaterThan(0);
      expect(r.medianMs).toBeGreaterThanOrEqual(r.minMs);
      expect(r.gflopsPerS).toBeCloseTo(r.gflop / (r.medianMs / 1000), 9);
      expect(r.steps).toBe(2);
      expect(r.tensors[1]).toBe(r.tensors[0]);
      expect(r.bytes[1]).toBe(r.bytes[0]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a stop ends the run after the step under way and keeps the steps timed so far", async () => {
    await useBackend("wasm");
    const session = new SpeedSession(async () => undefined);
    const seen: SpeedSnapshot[] = [];
    session.subscribe((s) => {
      seen.push(s);
      // Stop once gcn has timed two of its five steps.
      if (s.status === "running" && s.progress?.workload === "gcn" && s.progress.done === 3) session.stop();
    });
    await session.start({ workloads: ["detector_train", "gcn", "mae_train"], warmup: 1, iters: 5 });
    const end = session.state;
    expect(end.status).toBe("stopped");
    expect(end.settings?.workloads).toEqual(["gcn", "detector_train", "mae_train"]); // lightest first
    expect(end.rows.map((r) => [r.workload, r.steps])).toEqual([["gcn", 2]]);
    expect(end.tensorsAfter).toBe(end.tensorsBefore);
    expect(end.message).toMatch(/^Stopped: 1 of 3 workloads timed/);
    expect(seen.some((s) => s.status === "stopping")).toBe(true);
  });

  it("keeps its settings in the URL: workloads lightest first, all by default", () => {
    expect(SPEED_WORKLOADS).toEqual(["gcn", "detector_train", "mae_infer", "mae_train", "student_kd_step"]);
    expect(readSpeedSettings("")).toEqual({ workloads: SPEED_WORKLOADS, warmup: 3, iters: 10 });
    const s = readSpeedSettings("?workloads=detector_train,nope,gcn&warmup=0&iters=5");
    expect(s).toEqual({ workloads: ["gcn", "detector_train"], warmup: 1, iters: 5 });
    expect(speedQuery(s)).toEqual({ workloads: "gcn,detector_train", warmup: "1", iters: "5" });
    expect(speedQuery(readSpeedSettings(""))).toEqual({ workloads: null, warmup: null, iters: null });
  });

  it("compares with the recorded figures and estimates typical runs from the median", () => {
    const row = { workload: "detector_train", gflop: WORKLOAD_GFLOP.detector_train, medianMs: 200, minMs: 150, gflopsPerS: 1, steps: 10, tensors: [1, 1] as [number, number], bytes: [1, 1] as [number, number] };
    const rows = compareSpeed([row], REFERENCE);
    expect(rows.map((r) => r.workload)).toEqual(SPEED_WORKLOADS);
    const det = rows.find((r) => r.workload === "detector_train")!;
    expect(det.vsWasm).toBeCloseTo(200 / REFERENCE.workloads.detector_train.wasm!.median_ms, 12);
    expect(det.vsTorch).toBeCloseTo(200 / REFERENCE.workloads.detector_train.torch!.median_ms, 12);
    expect(rows.find((r) => r.workload === "gcn")!.measured).toBeNull();
    const estimates = estimateRuns([row], REFERENCE);
    expect(estimates.map((e) => e.workload)).toEqual(TYPICAL_RUNS.map((t) => t.workload));
    expect(estimates[0]).toMatchObject({ workload: "detector_train", steps: 1500, seconds: 300 });
    expect(estimates[1].seconds).toBeNull();
  });

  it("the shipped record has every workload with wasm and torch figures, and the record is built from a bench report", () => {
    expect(Object.keys(REFERENCE.workloads).sort()).toEqual([...SPEED_WORKLOADS].sort());
    for (const [name, w] of Object.entries(REFERENCE.workloads)) {
      expect(w.gflop, name).toBeCloseTo(WORKLOAD_GFLOP[name], 6);
      expect(w.wasm && w.torch, name).toBeTruthy();
    }
    const built: BenchReference = benchReference(
      {
        rows: [{ workload: "gcn", backend: "wasm · 2 threads", median_ms: 20, min_ms: 15, gflop: 0.23, gflops_per_s: 11.5 }],
        anchor: { workloads: { gcn: { median_ms: 7, min_ms: 6, gflop: 0.23, gflops_per_s: 33 } }, torch: "1.13", threads: 2, blas: "openblas" },
        warmup: 3,
        iters: 10,
      },
      { measured: "2026-12-03", command: "npx maskau bench --record f.json", machine: { cpu: "x", cores: 2, node: "v20" } },
    );
    expect(checkBenchReference(built)).toBe(built);
    expect(built.workloads.gcn).toEqual({ gflop: 0.23, wasm: { median_ms: 20, min_ms: 15, gflops_per_s: 11.5 }, torch: { median_ms: 7, min_ms: 6, gflops_per_s: 33 } });
    expect(() => checkBenchReference({ ...built, workloads: { gcn: { gflop: 1, wasm: { median_ms: -1 }, torch: null } } })).toThrow(/gcn: wasm needs positive/);
  });
});
