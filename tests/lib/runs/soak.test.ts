// The soak, short: 60 steps of every run kind through createRun, with live tensors and
// bytes the same after step 10 as after step 60 and nothing left once disposed.
// `npm run soak` runs 1,000 steps per kind (from step 20).
import { beforeAll, describe, expect, it } from "vitest";
import { formatSoakTable, grew, soak, SOAK_CASES, soakKinds, type SoakRow } from "../../../src/lib/runs/soak.js";
import type { RunKind } from "../../../src/lib/runs/spec.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

beforeAll(async () => {
  await initNodeBackend("wasm");
});

describe("soak", () => {
  it("covers every run kind it lists, each case building a spec of that kind", () => {
    expect(soakKinds()).toEqual(expect.arrayContaining(["pretrain", "detector", "student"]));
    for (const kind of soakKinds()) for (const c of SOAK_CASES[kind]!) expect(c.spec(10).kind, c.label).toBe(kind);
    expect(SOAK_CASES.detector!.map((c) => c.label)).toEqual(["detector s1 composite", "detector s2 composite"]);
    expect(SOAK_CASES.student!.map((c) => c.label)).toEqual(["student kd"]);
  });

  it("60 steps of each run kind: tensors and bytes after step 10 equal those after step 60", async () => {
    const rows = await soak(soakKinds(), { steps: 60, warmup: 10 });
    expect(rows.map((r) => r.label)).toEqual(expect.arrayContaining(["pretrain", "detector s1 composite", "detector s2 composite", "student kd"]));
    for (const r of rows) {
      expect(r.tensors[1], `${r.label} tensors`).toBe(r.tensors[0]);
      expect(r.bytes[1], `${r.label} bytes`).toBe(r.bytes[0]);
      expect(r.leftover, `${r.label} tensors left after dispose`).toBe(0);
      expect(r.tensors[0]).toBeGreaterThan(0);
      expect(grew(r)).toBe(false);
    }
  });

  it("calls any difference growth, and says so in the table", () => {
    const row: SoakRow = { kind: "pretrain" as RunKind, label: "pretrain", steps: 60, warmup: 10, tensors: [254, 254], bytes: [100, 100], leftover: 0, stepsPerSecond: 12.34 };
    expect(grew(row)).toBe(false);
    expect(grew({ ...row, tensors: [254, 255] })).toBe(true);
    expect(grew({ ...row, bytes: [100, 104] })).toBe(true);
    expect(grew({ ...row, leftover: 1 })).toBe(true);
    const table = formatSoakTable([row, { ...row, label: "detector s1 composite", bytes: [100, 104] }]).split("\n");
    expect(table[0]).toMatch(/^run\s+steps\s+tensors \(step 10 \/ end\)\s+bytes \(step 10 \/ end\)/);
    expect(table[1]).toMatch(/^pretrain\s+60\s+254 \/ 254\s+100 \/ 100\s+0\s+12\.3\s+flat$/);
    expect(table[2]).toMatch(/GREW$/);
  });

  it("refuses a warm-up that is not before the last step", async () => {
    await expect(soak(["pretrain"], { steps: 10, warmup: 10 })).rejects.toThrow(/1 <= warmup < steps/);
  });
});
