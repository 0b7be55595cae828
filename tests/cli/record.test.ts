// `maskau record`: the record of a shipped checkpoint (its metadata, SHA-256 and this
// machine's environment) with a small feature map, written where --out says and passing
// the checker; an MAE asked for a sweep, or a file without metadata, fails with one message.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parseRecord } from "../../src/lib/records/check.js";
import { sha256Hex } from "../../src/lib/records/node.js";
import { parseEvalList } from "../../cli/commands/record.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-record-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", ["cli/maskau.mjs", "record", ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("maskau record", () => {
  it("writes a shipped teacher's record with a seeded feature map of held-out faces", async () => {
    const ckpt = "src/checkpoints/teacher-tiny-random0.5.safetensors";
    const out = join(dir, "teacher.json");
    const { code, stdout, stderr } = await cli(ckpt, "--out", out, "--features", "--feature-frames", "1", "--feature-seed", "3");
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/wrote .*teacher\.json \(teacher, mean F1 61\.2 on the test split\)/);
    const r = parseRecord(readFileSync(out, "utf8"), out);
    expect(r).toMatchObject({ id: "teacher-tiny-random0.5", kind: "teacher", fold: 1, seed: 0 });
    expect(r.checkpoint.sha256).toBe(sha256Hex(readFileSync(ckpt)));
    expect(r.recordCommand).toBe(`maskau record ${ckpt} --out ${out} --features --feature-frames 1 --feature-seed 3`);
    expect(r.environment).toMatchObject({ scope: "record", node: process.versions.node, backend: expect.stringMatching(/^wasm/) });
    expect(r.environment.packages["@tensorflow/tfjs-core"]).toBe("4.22.0");
    expect(r.environment.commit).toMatch(/^[0-9a-f]{40}$/);
    // 14 held-out subjects x 1 frame, read as composites of the MAE its config names.
    const f = r.features!;
    expect(f).toMatchObject({ method: "tsne", seed: 3, input: "composite", occlusion: "random:0.5", features: "au-nodes" });
    expect(f.x).toHaveLength(14);
    expect(new Set(f.subjects).size).toBe(14);
    expect(f.silhouette.byAu).toHaveLength(12);
    expect(r.sweep).toBeUndefined();
  });

  it("reads --eval as INPUT[:OCCLUSION] items and names a bad one", () => {
    expect(parseEvalList("occluded:random:0.5, composite:block:0.3:center,clean")).toEqual([
      { input: "occluded", occlusion: "random:0.5" },
      { input: "composite", occlusion: "block:0.3:center" },
      { input: "clean", occlusion: "none" },
    ]);
    expect(() => parseEvalList("x-ray:random:0.5")).toThrow(/--eval x-ray:random:0\.5: the input must be one of clean, occluded, composite/);
    expect(() => parseEvalList("occluded")).toThrow(/occluded input needs an occlusion/);
    expect(() => parseEvalList("occluded:random:7")).toThrow();
  });

  it("refuses a sweep of an MAE and a file without metadata, with one message and exit 1", async () => {
    const mae = await cli("src/checkpoints/mae-tiny.safetensors", "--out", join(dir, "mae.json"), "--sweep");
    expect(mae.code).toBe(1);
    expect(mae.stderr).toMatch(/holds an MAE: --sweep needs an AU detector or a student/);
    expect(existsSync(join(dir, "mae.json"))).toBe(false);
    const missing = await cli(join(dir, "nothing.safetensors"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^maskau: .*nothing\.safetensors/);
  });
});
