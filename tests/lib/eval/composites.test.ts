// Composites are a function of the frame, its mask and the arithmetic that computes them:
// the same bytes whatever MAE batch a frame falls in (64, 32 or 7 faces), in whatever
// order, on one wasm thread or two, in this process or another; and compositeFingerprint,
// which keys the disk cache (runs/node.ts), is as stable as they are.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useBackend } from "../tf/backends.js";
import { probeComposites, type ProbeReport } from "./composites-probe.js";

const CHILD = fileURLToPath(new URL("./composites.child.ts", import.meta.url));

function runChild(threads: string): ProbeReport & { threads: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", CHILD], { env: { ...process.env, MASKAU_WASM_THREADS: threads }, encoding: "utf8", timeout: 240_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`child with ${threads} thread(s) exited with ${r.status}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as ProbeReport & { threads: number };
}

describe("MAE composites are deterministic", () => {
  it("the same bytes for any MAE batch size, twice, in this process (one thread) and in two child processes on two threads", { timeout: 600_000 }, async () => {
    await useBackend("wasm");
    const here = await probeComposites();
    for (const [key, byBatch] of Object.entries(here.bytes)) {
      expect(Object.keys(byBatch), key).toEqual(["batch 64", "batch 32", "batch 7"]);
      expect(new Set(Object.values(byBatch)).size, key).toBe(1);
      expect(here.fingerprints[key][1], key).toBe(here.fingerprints[key][0]);
    }
    // Three occlusions, three different sets of composites.
    expect(new Set(Object.values(here.bytes).map((b) => b["batch 64"])).size).toBe(3);
    for (const run of [runChild("2"), runChild("2")]) {
      expect(run.threads).toBe(2);
      expect(run.bytes).toEqual(here.bytes);
      expect(run.fingerprints).toEqual(here.fingerprints);
    }
  });
});
