// The threaded wasm build in Node (src/lib/tf/wasm-threads.ts) with MaskAU's matmul worker
// pool (src/lib/tf/wasm-gemm-pool.ts): the unit tests run single-threaded, so this starts
// child processes with one and with two threads and compares their results bit for bit
// (every output element is computed the same way whichever thread computes it). A child
// that does not exit by itself (a worker keeping Node alive) fails the test.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("./wasm-threads.child.ts", import.meta.url));

interface ChildReport {
  threads: number;
  label: string;
  /** Whether the matmul kernel ran its relaxed-SIMD (fused multiply-add) build. */
  fma: boolean;
  /** Largest deviation of a [67, 300] x [300, 45] product from float64. */
  maxErr: number;
  results: Record<string, string>;
}

function runChild(threads: string, env: Record<string, string> = {}): ChildReport {
  const r = spawnSync(process.execPath, ["--import", "tsx", CHILD], {
    env: { ...process.env, MASKAU_WASM_THREADS: threads, ...env },
    encoding: "utf8",
    timeout: 90_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`child with ${threads} thread(s) exited with ${r.status}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildReport;
}

describe("threaded wasm backend", () => {
  it("runs products, batches and gradients on two threads with the same bits as on one, and exits", () => {
    const one = runChild("1");
    const two = runChild("2");
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(Object.keys(two.results).length).toBe(22);
    for (const key of Object.keys(one.results)) expect([key, two.results[key]]).toEqual([key, one.results[key]]);
    // Node 20's V8 runs relaxed SIMD once lib/tf/node.ts has set its flag.
    expect([one.fma, two.fma]).toEqual([true, true]);
  });

  it("runs the plain-SIMD build with MASKAU_WASM_FMA=0, as accurate and as deterministic", () => {
    const one = runChild("1", { MASKAU_WASM_FMA: "0" });
    const two = runChild("2", { MASKAU_WASM_FMA: "0" });
    const fused = runChild("1");
    expect([one.fma, two.fma]).toEqual([false, false]);
    for (const key of Object.keys(one.results)) expect([key, two.results[key]]).toEqual([key, one.results[key]]);
    // Both builds stay within float32's error of float64 (k = 300, operands in [-1, 1]).
    expect(one.maxErr).toBeLessThan(1e-4);
    expect(fused.maxErr).toBeLessThan(1e-4);
  });

  it("rejects a thread count that is not a whole number", () => {
    expect(() => runChild("two")).toThrow(/MASKAU_WASM_THREADS must be a whole number/);
  });
});
