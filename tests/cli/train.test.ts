// `maskau train detector` / `maskau eval detector` end to end on a small generated
// dataset: a few steps of stage 1 (clean), stage 2 from it, a teacher on MAE
// composites (a freshly initialised MAE is enough to exercise the path), resuming,
// and eval printing per-AU F1 under several conditions; a finished run leaves its record.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../src/lib/config.js";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/lib/io/checkpoint.js";
import { parseRecord } from "../../src/lib/records/check.js";
import { sha256Hex } from "../../src/lib/records/node.js";
import { createMae } from "../../src/lib/models/mae.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-train-"));
const env = { ...process.env, MASKAU_CACHE_DIR: join(dir, "cache") };
const run = (args: string[]) => exec("node", ["cli/maskau.mjs", ...args], { env, maxBuffer: 1 << 24 });
const data = join(dir, "faces");
const mae = join(dir, "mae.safetensors");
const stage1 = join(dir, "stage1.safetensors");

const meta = (file: string) => decodeCheckpoint(new Uint8Array(readFileSync(file)), file).meta!;

beforeAll(async () => {
  await run(["data", "generate", "--subjects", "6", "--sequences", "1", "--frames", "5", "--size", "64", "--seed", "2", "--out", data]);
  await initNodeBackend("cpu");
  const m = createMae(MAE_PRESETS.tiny, { seed: 1 });
  writeFileSync(mae, encodeCheckpoint(await m.params.stateDict(), { model: "mae", config: { ...MAE_PRESETS.tiny }, createdBy: "test" }));
  m.dispose();
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("maskau train detector / eval detector", () => {
  it("trains stage 1 on clean faces for a few steps and writes a checkpoint with config, dataset, seed and per-AU F1", async () => {
    const { stdout } = await run(["train", "detector", "--data", data, "--fold", "1", "--steps", "3", "--batch", "4", "--warmup", "1", "--checkpoint-every", "2", "--seed", "3", "--out", stage1]);
    expect(stdout).toContain(`wrote ${stage1} at step 3`);
    expect(stdout).toMatch(/condition\s+AU1\s+AU2\s+AU4/);
    expect(stdout).toMatch(/^clean(\s+\d+\.\d){13}$/m);
    expect(stdout).toContain("tensors alive 0");
    const m = meta(stage1);
    expect(m.model).toBe("megraphau-anfl");
    expect(m.step).toBe(3);
    expect(m.seed).toBe(3);
    expect(m.trainer).toBeUndefined(); // weights only
    expect((m.config.detector as { head: string }).head).toBe("anfl");
    expect((m.config.condition as { input: string }).input).toBe("clean");
    expect(m.dataset).toMatchObject({ kind: "megraphau", testFold: 1, trainFolds: [2, 3] });
    expect(m.createdBy).toContain("maskau train detector --data");
    expect(Object.keys(m.metrics!)).toEqual(expect.arrayContaining(["loss", "meanF1", "f1/AU1", "f1/AU24"]));
    expect(m.history?.at(-1)?.step).toBe(3);
    // A finished run leaves its record beside the checkpoint.
    const recordFile = join(dir, "stage1.record.json");
    const record = parseRecord(readFileSync(recordFile, "utf8"), recordFile);
    expect(record).toMatchObject({ id: "stage1", kind: "detector", seed: 3, fold: 1, command: m.createdBy, recordCommand: null, environment: { scope: "training" } });
    expect(record.checkpoint).toMatchObject({ path: stage1, sha256: sha256Hex(readFileSync(stage1)), step: 3 });
    // Records keep 7 significant digits.
    record.metrics.aus.forEach((a, i) => expect(record.metrics.f1[i], `AU${a}`).toBeCloseTo(m.metrics![`f1/AU${a}`], 6));
    expect(record.history.map((h) => h.step)).toEqual(m.history!.map((h) => h.step));
  });

  it("evaluates a checkpoint under clean, occluded and composite input, printing per-AU F1", async () => {
    const json = join(dir, "eval.json");
    const { stdout } = await run(["eval", "detector", "--ckpt", stage1, "--input", "clean,occluded,composite", "--occlusion", "random:0.5,block:0.3", "--mae", mae, "--json", json]);
    expect(stdout).toMatch(/per-AU F1 \(%\), test fold 1/);
    for (const label of ["clean", "occluded random:0.5", "occluded block:0.3", "composite random:0.5", "composite block:0.3"]) {
      expect(stdout).toMatch(new RegExp(`^${label}(\\s+\\d+\\.\\d){13}$`, "m"));
    }
    const out = JSON.parse(readFileSync(json, "utf8"));
    expect(out.rows).toHaveLength(5);
    expect(out.rows[0].f1).toHaveLength(12);
  });

  it("stage 2 starts from stage 1; a teacher trains on composites; a run resumes from its checkpoint", async () => {
    const stage2 = join(dir, "stage2.safetensors");
    const s2 = await run(["train", "detector", "--data", data, "--stage", "2", "--init", stage1, "--steps", "2", "--batch", "4", "--warmup", "0", "--lambda", "0.001", "--out", stage2]);
    expect(s2.stderr).toMatch(/initialised \d+ of \d+ tensors from/);
    const m2 = meta(stage2);
    expect(m2.model).toBe("megraphau-mefl");
    expect((m2.config.train as { lambda: number }).lambda).toBe(0.001);

    const teacher = join(dir, "teacher.safetensors");
    // Two steps keeping the optimizer state, then resumed up to four.
    await run(["train", "detector", "--data", data, "--input", "composite", "--occlusion", "block:0.3", "--mae", mae, "--steps", "2", "--batch", "4", "--warmup", "0", "--optimizer-state", "--out", teacher]);
    const mt = meta(teacher);
    expect(mt.trainer?.step).toBe(2);
    expect((mt.config.condition as { input: string; occlusion: string }).occlusion).toBe("block:0.3");
    expect((mt.config.mae as { path: string }).path).toBe(mae);
    const again = await run(["train", "detector", "--data", data, "--input", "composite", "--occlusion", "block:0.3", "--mae", mae, "--steps", "4", "--batch", "4", "--warmup", "0", "--out", teacher, "--resume"]);
    expect(again.stderr).toContain("resuming");
    expect(again.stdout).toMatch(/^composite block:0\.3(\s+\d+\.\d){13}$/m);
    expect(meta(teacher).step).toBe(4);
  });

  it("refuses inconsistent arguments with a message", async () => {
    const err = (await run(["train", "detector", "--data", data, "--input", "composite", "--occlusion", "random:0.5", "--steps", "1", "--out", join(dir, "x.safetensors")]).catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain("--mae");
    const err2 = (await run(["train", "detector", "--data", data, "--input", "occluded", "--steps", "1", "--out", join(dir, "x.safetensors")]).catch((e) => e)) as { code: number; stderr: string };
    expect(err2.code).toBe(1);
    expect(err2.stderr).toContain("--occlusion");
  });
});
