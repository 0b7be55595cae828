// What `reproduce paper` does with a run before training it: copy a shipped checkpoint in,
// reuse a finished one, copy beta = 0 from node KD only, or train (fresh or resumed).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepare } from "../../cli/commands/reproduce-paper.js";
import { planProtocol, protocolConfig } from "../../src/lib/protocol/plan.js";

const dir = mkdtempSync(join(tmpdir(), "maskau-prepare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const plan = planProtocol(protocolConfig({ folds: [1], seeds: [0], ablations: ["random:0.5"] }));
const run = (id: string) => {
  const r = plan.find((p) => p.id === id);
  if (!r) throw new Error(`no run ${id} in the plan`);
  return r;
};

describe("reproduce paper: prepare", () => {
  it("copies a shipped checkpoint byte for byte, then reuses it as finished", async () => {
    const clean = run("fold1/seed0/clean");
    const first = await prepare(clean, dir, true);
    expect(first.status).toBe("shipped");
    expect(readFileSync(first.out).equals(readFileSync("src/checkpoints/detector-tiny-clean.safetensors"))).toBe(true);
    const again = await prepare(clean, dir, true);
    expect(again.status).toBe("reused");
  });

  it("trains instead of copying when the shipped checkpoints are not used", async () => {
    const other = mkdtempSync(join(dir, "no-shipped-"));
    const r = await prepare(run("fold1/seed0/teacher1-random0.5"), other, false);
    expect(r.status).toBe("trained");
    expect(r.note).toBe(`$ ${run("fold1/seed0/teacher1-random0.5").command}`);
  });

  it("resumes a checkpoint that is not at the plan's last step", async () => {
    // The shipped stage-1 teacher (750 steps) where the plan's clean detector (1,500 steps) goes.
    const other = mkdtempSync(join(dir, "partial-"));
    const clean = run("fold1/seed0/clean");
    const out = join(other, clean.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, readFileSync("src/checkpoints/teacher-tiny-random0.5.safetensors"));
    expect((await prepare(clean, other, true)).status).toBe("resumed");
  });

  it("copies beta = 0 from node KD only, the same model", async () => {
    const b0 = run("fold1/seed0/ablation-b0-random0.5");
    expect(b0.copyOf).toBe("fold1/seed0/ablation-node-random0.5");
    // Any finished student stands in for node KD only's checkpoint.
    const node = join(dir, "fold1/seed0/ablation-node-random0.5.safetensors");
    mkdirSync(dirname(node), { recursive: true });
    writeFileSync(node, readFileSync("src/checkpoints/student-tiny-random0.5.safetensors"));
    const r = await prepare(b0, dir, true);
    expect(r.status).toBe("copied");
    expect(readFileSync(r.out).equals(readFileSync(node))).toBe(true);
  });
});
