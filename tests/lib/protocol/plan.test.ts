import { describe, expect, it } from "vitest";
import { planProtocol, protocolConfig, selectRuns, PAPER_SCHEDULE } from "../../../src/lib/protocol/plan.js";

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
});
