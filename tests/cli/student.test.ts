// `maskau train student` and `maskau eval detector` on a student, end to end on a small
// generated dataset: a fresh tiny MAE, a two-step stage-2 teacher on its composites, a
// two-step student; the student's checkpoint records its spec, and it is evaluated on
// occluded faces only.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../src/lib/config.js";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/lib/io/checkpoint.js";
import { createMae } from "../../src/lib/models/mae.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-student-"));
const env = { ...process.env, MASKAU_CACHE_DIR: join(dir, "cache") };
const run = (args: string[]) => exec("node", ["cli/maskau.mjs", ...args], { env, maxBuffer: 1 << 24 });
const data = join(dir, "faces");
const mae = join(dir, "mae.safetensors");
const teacher = join(dir, "teacher.safetensors");
const student = join(dir, "student.safetensors");
const common = ["--data", data, "--fold", "1", "--batch", "4", "--warmup", "0", "--seed", "1"];

beforeAll(async () => {
  await run(["data", "generate", "--subjects", "6", "--sequences", "1", "--frames", "4", "--size", "64", "--seed", "2", "--out", data]);
  await initNodeBackend("cpu");
  const m = createMae(MAE_PRESETS.tiny, { seed: 1 });
  writeFileSync(mae, encodeCheckpoint(await m.params.stateDict(), { model: "mae", config: { preset: "tiny", ...MAE_PRESETS.tiny }, createdBy: "test" }));
  m.dispose();
  await run(["train", "detector", ...common, "--stage", "2", "--input", "composite", "--occlusion", "random:0.5", "--mae", mae, "--steps", "2", "--out", teacher]);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("maskau train student", () => {
  it("distils a stage-2 teacher into the student and records the spec", async () => {
    const { stdout, stderr } = await run(["train", "student", ...common, "--occlusion", "random:0.5", "--mae", mae, "--teacher", teacher, "--composite-variants", "2", "--steps", "2", "--out", student]);
    expect(stderr).toContain(`student head initialised from ${teacher}`);
    expect(stdout).toContain(`wrote ${student} at step 2`);
    expect(stdout).toMatch(/^student occluded random:0\.5(\s+\d+\.\d){13}$/m);
    expect(stdout).toContain("tensors alive 0");
    const meta = decodeCheckpoint(new Uint8Array(readFileSync(student))).meta as unknown as { model: string; modelName: string; spec: Record<string, unknown>; metrics: Record<string, number> };
    expect(meta.model).toBe("student");
    expect(meta.modelName).toBe("student/mae-tiny");
    expect(meta.spec).toMatchObject({ kind: "student", alpha: 1, beta: 0.1, temperature: 2, lambda: 0.01, kd: "both", encoder: "finetune", headInit: "teacher" });
    expect((meta.spec.teacher as { hash: string }).hash).toMatch(/^[0-9a-f]{16}$/);
    expect(meta.metrics.meanF1).toBeGreaterThanOrEqual(0);
  });

  it("is evaluated on occluded faces, and refuses composites", async () => {
    const { stdout } = await run(["eval", "detector", "--ckpt", student, "--occlusion", "random:0.5,block:0.3"]);
    expect(stdout).toMatch(/^occluded random:0\.5(\s+\d+\.\d){13}$/m);
    expect(stdout).toMatch(/^occluded block:0\.3(\s+\d+\.\d){13}$/m);
    const err = (await run(["eval", "detector", "--ckpt", student, "--input", "composite", "--mae", mae]).catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain("reads occluded faces only");
  });

  it("reproduce fig3 gives each model's F1 at each occlusion, as eval detector does", async () => {
    const json = join(dir, "fig3.json");
    const occ = "random:0.2,random:0.6";
    const { stdout } = await run(["reproduce", "fig3", "--data", data, "--fold", "1", "--mae", mae, "--clean", teacher, "--teacher", teacher, "--student", student, "--occlusions", occ, "--json", json]);
    expect(stdout).toMatch(/^\| \(e\) student \| \d+\.\d \| \d+\.\d \|$/m);
    const fig = JSON.parse(readFileSync(json, "utf8")) as { occlusions: string[]; points: { condition: string; input: string; occlusion: string; meanF1: number; f1: number[] }[] };
    expect(fig.occlusions).toEqual(["random:0.2", "random:0.6"]);
    expect(fig.points.map((p) => `${p.condition} ${p.occlusion}`)).toEqual(["(b)", "(c)", "(d)", "(e)"].flatMap((c) => fig.occlusions.map((o) => `${c} ${o}`)));
    // The student's points are what eval detector gives it on the same faces and masks.
    const evalJson = join(dir, "student-eval.json");
    await run(["eval", "detector", "--ckpt", student, "--occlusion", occ, "--json", evalJson]);
    const rows = (JSON.parse(readFileSync(evalJson, "utf8")) as { rows: { occlusion: string; f1: number[] }[] }).rows;
    for (const r of rows) expect(fig.points.find((p) => p.condition === "(e)" && p.occlusion === r.occlusion)!.f1).toEqual(r.f1);
    // (c) and (d) read the same composites: with the same model (here the teacher twice) they agree exactly.
    for (const o of fig.occlusions) {
      const at = (c: string) => fig.points.find((p) => p.condition === c && p.occlusion === o)!.f1;
      expect(at("(c)")).toEqual(at("(d)"));
    }
  });

  it("reproduce fig3 with several fills scores (b) and (e) under each and the composites once: they are those of a one-fill run of another fill", async () => {
    const json = join(dir, "fig3-fills.json");
    const { stdout } = await run(["reproduce", "fig3", "--data", data, "--fold", "1", "--mae", mae, "--clean", teacher, "--teacher", teacher, "--student", student, "--occlusions", "region:eyes,random:0.6", "--fill", "black,gray", "--json", json]);
    expect(stdout).toMatch(/^\| model \| fill \| region:eyes \| random:0\.6 \|$/m);
    expect(stdout).toMatch(/^\| \(e\) student \| black \| \d+\.\d \| \d+\.\d \|$/m);
    expect(stdout).toMatch(/^\| \(c\) clean detector \| any \| \d+\.\d \| \d+\.\d \|$/m);
    type Point = { condition: string; occlusion: string; fill?: string; f1: number[] };
    const fig = JSON.parse(readFileSync(json, "utf8")) as { fill: string; fills: string[]; points: Point[] };
    expect(fig.fill).toBe("black");
    expect(fig.fills).toEqual(["black", "gray"]);
    expect(fig.points.map((p) => `${p.condition} ${p.fill ?? "-"} ${p.occlusion}`)).toEqual([
      "(b) black region:eyes", "(b) black random:0.6", "(b) gray region:eyes", "(b) gray random:0.6",
      "(c) - region:eyes", "(c) - random:0.6",
      "(d) - region:eyes", "(d) - random:0.6",
      "(e) black region:eyes", "(e) black random:0.6", "(e) gray region:eyes", "(e) gray random:0.6",
    ]);
    // The one-fill gray run above scored the same faces and masks: its (b) and (e) are the gray points
    // here, and its composite points, scored under gray, are these, scored under black.
    const gray = JSON.parse(readFileSync(join(dir, "fig3.json"), "utf8")) as { points: Point[] };
    const at = (points: Point[], condition: string, fill?: string) => points.find((p) => p.condition === condition && p.occlusion === "random:0.6" && p.fill === fill)!.f1;
    for (const c of ["(b)", "(e)"]) expect(at(fig.points, c, "gray"), c).toEqual(at(gray.points, c));
    for (const c of ["(c)", "(d)"]) expect(at(fig.points, c), c).toEqual(at(gray.points, c));
  });

  it("refuses a stage-1 teacher, naming the problem", async () => {
    const s1 = join(dir, "s1.safetensors");
    await run(["train", "detector", ...common, "--steps", "1", "--out", s1]);
    const err = (await run(["train", "student", ...common, "--mae", mae, "--teacher", s1, "--steps", "1", "--out", join(dir, "x.safetensors")]).catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain("needs a stage-2 (MEFL) teacher");
  });
});
