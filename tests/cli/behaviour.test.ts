// What the run layer must never change without saying so: evaluating the shipped
// checkpoints gives exactly the F1 of docs/table2.md (src/data/table2.json), and short
// training runs of every kind write exactly the weights recorded below (wasm, one
// thread, as the unit tests run). A hash here changes only when the numbers a run
// produces change; update it with the reason in the commit message. Both are pinned on the
// plain-SIMD build of the matmul kernel (MASKAU_WASM_FMA=0), whose results are the same bits
// on every x86 machine; the relaxed-SIMD build, the default, fuses multiply-adds where the CPU
// can, so its last bits depend on the CPU (it is checked against float64 in tests/lib/tf and
// against the shipped figures within a tolerance below).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeCheckpoint } from "../../src/lib/io/checkpoint.js";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-behaviour-"));
const fused = { ...process.env, MASKAU_CACHE_DIR: join(dir, "cache"), MASKAU_WASM_THREADS: "1" };
const env = { ...fused, MASKAU_WASM_FMA: "0" };
const maskau = (...args: string[]) => exec("node", ["cli/maskau.mjs", ...args], { env, maxBuffer: 1 << 26 });
const maskauFused = (...args: string[]) => exec("node", ["cli/maskau.mjs", ...args], { env: fused, maxBuffer: 1 << 26 });
const data = join(dir, "faces");
const shippedMae = "src/checkpoints/mae-tiny.safetensors";
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** SHA-256 over the weights of a checkpoint: names in order, shapes, float32 bytes (metadata excluded). */
function weightsHash(file: string): string {
  const ckpt = decodeCheckpoint(new Uint8Array(readFileSync(file)), file);
  const h = createHash("sha256");
  for (const name of [...ckpt.tensors.keys()].sort()) {
    const t = ckpt.tensors.get(name)!;
    h.update(`${name}:${t.shape.join("x")}:`);
    const d = t.data;
    h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return h.digest("hex").slice(0, 16);
}

describe("shipped checkpoints give docs/table2.md's F1", () => {
  const table = JSON.parse(readFileSync("src/data/table2.json", "utf8")) as { rows: { condition: string; test: string; f1: number[]; ckpt: string }[] };
  // One value of the shipped table was computed from composites cached by an earlier build:
  // composites computed afresh (on 1 or 2 threads, any number of times) give AU4 of (c)
  // block:0.3 0.537214 instead of 0.536991 (53.7 either way in the docs). Locked as computed now.
  const fresh: Record<string, Record<number, number>> = { "(c) composite block:0.3": { 2: 0.5372141372141371 } };
  const expected = (condition: string, test: string) => {
    const f1 = [...table.rows.find((r) => r.condition === condition && r.test === test)!.f1];
    for (const [i, v] of Object.entries(fresh[`${condition} ${test}`] ?? {})) f1[Number(i)] = v;
    return f1;
  };

  it("clean detector: (a) clean, (b) occluded, (c) composite, for both occlusions", { timeout: 400_000 }, async () => {
    const json = join(dir, "a.json");
    await maskau("eval", "detector", "--ckpt", "src/checkpoints/detector-tiny-clean.safetensors", "--input", "clean,occluded,composite", "--occlusion", "random:0.5,block:0.3", "--mae", shippedMae, "--json", json);
    const rows = JSON.parse(readFileSync(json, "utf8")).rows as { label: string; f1: number[] }[];
    const got = Object.fromEntries(rows.map((r) => [r.label, r.f1]));
    expect(got["clean"]).toEqual(expected("(a)", "clean"));
    for (const occ of ["random:0.5", "block:0.3"]) {
      expect(got[`occluded ${occ}`]).toEqual(expected("(b)", `occluded ${occ}`));
      expect(got[`composite ${occ}`]).toEqual(expected("(c)", `composite ${occ}`));
    }
  });

  it("teachers: (d) on composites", { timeout: 400_000 }, async () => {
    for (const [file, occ] of [
      ["teacher-tiny-random0.5", "random:0.5"],
      ["teacher-tiny-block0.3", "block:0.3"],
    ]) {
      const json = join(dir, `${file}.json`);
      await maskau("eval", "detector", "--ckpt", `src/checkpoints/${file}.safetensors`, "--input", "composite", "--occlusion", occ, "--mae", shippedMae, "--json", json);
      const [row] = JSON.parse(readFileSync(json, "utf8")).rows as { f1: number[] }[];
      expect(row.f1, file).toEqual(expected("(d)", `composite ${occ}`));
    }
  });
});

describe("shipped stage-2 teachers give the F1 recorded in their metadata", () => {
  it("(d) MEFL teachers on composites", { timeout: 400_000 }, async () => {
    for (const [file, occ] of [
      ["teacher-tiny-mefl-random0.5", "random:0.5"],
      ["teacher-tiny-mefl-block0.3", "block:0.3"],
    ]) {
      const path = `src/checkpoints/${file}.safetensors`;
      const meta = decodeCheckpoint(new Uint8Array(readFileSync(path)), path).meta!;
      expect(meta.model).toBe("megraphau-mefl");
      const json = join(dir, `${file}.json`);
      await maskau("eval", "detector", "--ckpt", path, "--input", "composite", "--occlusion", occ, "--mae", shippedMae, "--json", json);
      const [row] = JSON.parse(readFileSync(json, "utf8")).rows as { f1: number[]; meanF1: number }[];
      expect(row.meanF1, file).toBe(meta.metrics!.meanF1);
      const aus = (meta.config.aus as number[]).map((au) => meta.metrics![`f1/AU${au}`]);
      expect(row.f1, file).toEqual(aus);
      // The default build (fused multiply-adds) moves a prediction here and there, no more.
      const fusedJson = join(dir, `${file}-fused.json`);
      await maskauFused("eval", "detector", "--ckpt", path, "--input", "composite", "--occlusion", occ, "--mae", shippedMae, "--json", fusedJson);
      const [fusedRow] = JSON.parse(readFileSync(fusedJson, "utf8")).rows as { f1: number[]; meanF1: number }[];
      expect(Math.abs(fusedRow.meanF1 - meta.metrics!.meanF1), file).toBeLessThan(0.002);
      fusedRow.f1.forEach((f, i) => expect(Math.abs(f - aus[i]), `${file} AU${(meta.config.aus as number[])[i]}`).toBeLessThan(0.01));
    }
  });
});

describe("shipped students give the F1 recorded in their metadata", () => {
  it("(e) students on occluded faces", { timeout: 600_000 }, async () => {
    for (const [file, occ] of [
      ["student-tiny-random0.5", "random:0.5"],
      ["student-tiny-block0.3", "block:0.3"],
    ]) {
      const path = `src/checkpoints/${file}.safetensors`;
      const meta = decodeCheckpoint(new Uint8Array(readFileSync(path)), path).meta!;
      expect(meta.model).toBe("student");
      expect(meta.createdBy).toContain(`--occlusion ${occ}`);
      const json = join(dir, `${file}.json`);
      await maskau("eval", "detector", "--ckpt", path, "--occlusion", occ, "--json", json);
      const [row] = JSON.parse(readFileSync(json, "utf8")).rows as { f1: number[]; meanF1: number }[];
      expect(row.meanF1, file).toBe(meta.metrics!.meanF1);
      const aus = (meta.config.aus as number[]).map((au) => meta.metrics![`f1/AU${au}`]);
      expect(row.f1, file).toEqual(aus);
    }
  });
});

describe("short runs write the recorded weights", () => {
  beforeAll(async () => {
    await maskau("data", "generate", "--subjects", "6", "--sequences", "1", "--frames", "5", "--size", "64", "--seed", "2", "--out", data, "--no-cache");
  }, 300_000);
  const train = ["train", "detector", "--data", data, "--fold", "1", "--batch", "4", "--warmup", "1", "--seed", "3"];
  const hashes: Record<string, string> = {};

  it("detector stage 1 on clean faces", async () => {
    const out = join(dir, "clean.safetensors");
    await maskau(...train, "--steps", "4", "--out", out);
    hashes.clean = weightsHash(out);
    expect(hashes.clean).toBe(RECORDED.clean);
  });

  it("detector stage 2 from stage 1, on occluded faces", async () => {
    const out = join(dir, "mefl.safetensors");
    await maskau(...train, "--stage", "2", "--init", join(dir, "clean.safetensors"), "--input", "occluded", "--occlusion", "random:0.5", "--steps", "3", "--out", out);
    hashes.meflOccluded = weightsHash(out);
    expect(hashes.meflOccluded).toBe(RECORDED.meflOccluded);
  });

  it("teacher on MAE composites with cached occlusion variants", async () => {
    const out = join(dir, "teacher.safetensors");
    await maskau(...train, "--input", "composite", "--occlusion", "block:0.3", "--mae", shippedMae, "--composite-variants", "2", "--steps", "3", "--out", out);
    hashes.teacher = weightsHash(out);
    expect(hashes.teacher).toBe(RECORDED.teacher);
  });

  it("MAE pretraining", async () => {
    const out = join(dir, "mae.safetensors");
    await maskau("pretrain", "--data", data, "--steps", "4", "--batch", "4", "--warmup", "1", "--fold", "1", "--seed", "3", "--out", out);
    hashes.mae = weightsHash(out);
    expect(hashes.mae).toBe(RECORDED.mae);
  });
});

// Recorded on wasm (one thread) before the run layer replaced the hand-written runs. The MEFL
// run's hash changed once since, when the GEM stopped building the per-edge token tensor: the
// same computation summed in another order (tests/lib/models/mefl-gem.test.ts checks it against
// the direct formulation; it was a2a7f27e2b8b07ea). The three detector runs' hashes changed
// when train-mode BatchNorm over channels became one fused kernel (summed in another order;
// tests/lib/models/batchnorm-fused.test.ts checks it against float64; they were 4b9cbf1a397f3fa8,
// 7ebf79fb9f703d2c and c225e95708da4ffa).
const RECORDED = {
  clean: "cd030f77b5801a8c",
  meflOccluded: "86667728d524ab99",
  teacher: "e8d2dcfb2ae3844a",
  mae: "ac4fd05f52c3a64a",
};
