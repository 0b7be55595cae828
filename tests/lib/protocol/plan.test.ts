import { describe, expect, it } from "vitest";
import { ABLATIONS, planProtocol, protocolConfig, selectRuns, PAPER_SCHEDULE } from "../../../src/lib/protocol/plan.js";
import type { StudentSpec } from "../../../src/lib/runs/spec.js";

describe("planProtocol", () => {
  const plan = planProtocol(protocolConfig());

  it("plans one MAE per fold and, per fold and seed, the clean detector and per occlusion two teachers and two students", () => {
    // 3 MAEs + 9 x (clean + 2 occlusions x (teacher1, teacher, student, student-a0)).
    expect(plan).toHaveLength(3 + 9 * (1 + 2 * 4));
    expect(new Set(plan.map((r) => r.id)).size).toBe(plan.length);
    expect(new Set(plan.map((r) => r.out)).size).toBe(plan.length);
    expect(plan.filter((r) => r.role === "mae").map((r) => r.spec.fold)).toEqual([1, 2, 3]);
  });

  it("puts every run after the runs it needs, and each model reads its own fold's MAE", () => {
    const seen = new Set<string>();
    for (const r of plan) {
      for (const n of r.needs) expect(seen.has(n), `${r.id} needs ${n}`).toBe(true);
      seen.add(r.id);
      if (r.spec.kind === "student") {
        expect(r.spec.mae.path).toBe(`fold${r.fold}/mae.safetensors`);
        expect(r.spec.teacher.path).toBe(`fold${r.fold}/seed${r.seed}/teacher-${r.occlusion!.replace(":", "")}.safetensors`);
        expect(r.spec.alpha).toBe(r.role === "student" ? 1 : 0);
      }
      if (r.role === "teacher") expect(r.spec).toMatchObject({ stage: 2, lambda: 0.01, input: "composite", init: { path: `fold${r.fold}/seed${r.seed}/teacher1-${r.occlusion!.replace(":", "")}.safetensors` } });
      if (r.role !== "mae") expect(r.spec.fold).toBe(r.fold);
    }
  });

  it("writes the command each run is equivalent to, with the schedule of the shipped checkpoints", () => {
    const mae = plan.find((r) => r.id === "fold2/mae")!;
    expect(mae.command).toBe(`maskau pretrain --preset mae/tiny --data synthetic:bp4d --data-seed 1 --fold 2 --steps ${PAPER_SCHEDULE.mae.steps} --warmup 100 --lr 0.001 --seed 0 --no-optimizer-state --out fold2/mae.safetensors`);
    expect(mae.spec.train.steps).toBe(2000);
    const student = plan.find((r) => r.id === "fold3/seed2/student-a0-block0.3")!;
    expect(student.command).toContain("--alpha 0");
    expect(student.command).toContain("--teacher fold3/seed2/teacher-block0.3.safetensors");
    expect(student.spec.train.steps).toBe(1500);
  });

  it("selects roles with what they need", () => {
    const teachers = selectRuns(plan, ["teacher"]);
    expect(new Set(teachers.map((r) => r.role))).toEqual(new Set(["mae", "clean", "teacher1", "teacher"]));
    expect(selectRuns(plan, ["mae"])).toHaveLength(3);
    expect(() => selectRuns(plan, ["students" as never])).toThrow(/--only students: choose from/);
  });

  it("shrinks data and schedules in quick mode and rejects an unknown dataset", () => {
    const quick = protocolConfig({ quick: true });
    expect(quick.data.generator).toEqual({ subjects: 9, sequencesPerSubject: 2, framesPerSequence: 18 });
    expect(planProtocol(quick)).toHaveLength(1 + 1 + 2 * 4);
    expect(planProtocol(protocolConfig({ dataset: "disfa", folds: [1], seeds: [0] }))[0].spec.data.source).toBe("synthetic:disfa");
    expect(() => protocolConfig({ dataset: "celeba" })).toThrow(/--dataset celeba: choose bp4d or disfa/);
  });

  it("adds the ablations and the occluded-face control for the chosen occlusions only, each changing one setting", () => {
    const withAblations = planProtocol(protocolConfig({ folds: [1], seeds: [0, 1], ablations: ["random:0.5"] }));
    // per seed: clean + 2 x 4 + 10 ablations + 2 control stages; and the MAE.
    expect(withAblations).toHaveLength(1 + 2 * (1 + 2 * 4 + ABLATIONS.length + 2));
    const base = withAblations.find((r) => r.id === "fold1/seed1/student-random0.5")!.spec as StudentSpec;
    const settings = (s: StudentSpec) => ({ kd: s.kd, alpha: s.alpha, beta: s.beta, temperature: s.temperature, encoder: s.encoder, headInit: s.headInit });
    for (const a of ABLATIONS) {
      const run = withAblations.find((r) => r.id === `fold1/seed1/ablation-${a.name}-random0.5`)!;
      expect(run.needs).toEqual(["fold1/mae", "fold1/seed1/teacher-random0.5", ...(a.sameAs ? [`fold1/seed1/ablation-${a.sameAs}-random0.5`] : [])]);
      expect(run.copyOf).toBe(a.sameAs ? `fold1/seed1/ablation-${a.sameAs}-random0.5` : undefined);
      const spec = run.spec as StudentSpec;
      // Exactly the ablated settings differ from the student's, and the rest of the spec is the same.
      expect(settings(spec)).toEqual({ ...settings(base), ...a.spec });
      expect(settings(spec)).not.toEqual(settings(base));
      expect({ ...spec, ...settings(base) }).toEqual(base);
      expect(run.command).toContain(a.args);
      expect(run).toMatchObject({ ablation: a.name, teacherTargets: "cache" });
    }
    // The students of a teacher the ablations share read its outputs precomputed; the others run it live.
    expect(withAblations.find((r) => r.id === "fold1/seed1/student-a0-random0.5")!.teacherTargets).toBe("cache");
    expect(withAblations.find((r) => r.id === "fold1/seed1/student-block0.3")!.teacherTargets).toBeUndefined();
    expect(withAblations.some((r) => r.role === "ablation" && r.occlusion === "block:0.3")).toBe(false);
    const control = withAblations.find((r) => r.id === "fold1/seed0/control-random0.5")!;
    expect(control.spec).toMatchObject({ stage: 2, input: "occluded", lambda: 0.01, mae: null, init: { path: "fold1/seed0/control1-random0.5.safetensors" } });
    expect(control.command).toContain("--input occluded --occlusion random:0.5 --stage 2");
    const only = selectRuns(withAblations, ["ablation", "control"]);
    expect(new Set(only.map((r) => r.role))).toEqual(new Set(["mae", "clean", "teacher1", "teacher", "ablation", "control1", "control"]));
    // Single ablations, for a protocol completed a few runs at a time.
    const two = selectRuns(withAblations, ["ablation-node", "ablation-t4"]).filter((r) => r.role === "ablation");
    for (const name of ["node", "t4"]) expect(two.filter((r) => r.ablation === name)).toHaveLength(withAblations.filter((r) => r.ablation === name).length);
    expect(new Set(two.map((r) => r.ablation))).toEqual(new Set(["node", "t4"]));
    expect(two.every((r) => r.occlusion === "random:0.5")).toBe(true);
    const needs = selectRuns(withAblations, ["ablation-frozen"]);
    expect(new Set(needs.map((r) => r.role))).toEqual(new Set(["mae", "clean", "teacher1", "teacher", "ablation"]));
    expect(() => selectRuns(withAblations, ["ablation-gamma"])).toThrow(/--only ablation-gamma: choose from .*one ablation: ablation-node, ablation-edge/);
  });
});
