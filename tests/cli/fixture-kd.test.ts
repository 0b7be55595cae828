// `maskau fixture check` on a kd fixture of other sizes, temperature, weights and eps than the
// shipped one, generated here: expected values and gradients computed independently in
// float64 from the documented formulas (the sidecar conventions of kd_losses), written as
// safetensors + sidecar. The check must pass, and fail (exit 1) when an output is perturbed.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/lib/data/prng.js";
import { writeSafetensors, type TensorToWrite } from "../../src/lib/io/safetensors.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-kd-fixture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface KdCase {
  batch: number;
  numAu: number;
  classes: number;
  T: number;
  alpha: number;
  beta: number;
  eps: number;
  seed: number;
}

const f32 = Math.fround;

/** Inputs (float32 values) with the edge cases of the shipped fixture: clamped student, teacher 0 / 1, equal pairs. */
function inputs(c: KdCase) {
  const rng = new Rng(c.seed);
  const n = c.batch * c.numAu;
  const edges = c.batch * c.numAu * c.numAu;
  const pStudent = Array.from({ length: n }, () => f32(rng.uniform(0.01, 0.99)));
  const pTeacher = Array.from({ length: n }, () => f32(rng.uniform(0.01, 0.99)));
  pStudent[0] = 0; // clamped to eps
  pStudent[1] = 1; // clamped to float32(1 - eps)
  pStudent[2] = f32(c.eps / 2); // below eps: clamped
  pStudent[3] = pTeacher[3]; // equal pair
  pTeacher[4] = 0; // 0 log 0 = 0
  pTeacher[5] = 1;
  const zStudent = Array.from({ length: edges * c.classes }, () => f32(rng.normal(0, 2)));
  const zTeacher = Array.from({ length: edges * c.classes }, () => f32(rng.normal(0, 2)));
  for (let k = 0; k < c.classes; k++) zTeacher[k] = zStudent[k]; // edge 0 equal on both sides
  return { pStudent, pTeacher, zStudent, zTeacher, edges };
}

/** L_node, L_edge, L_kd, alpha L_kd and the student gradients, in float64. */
function expected(c: KdCase, x: ReturnType<typeof inputs>) {
  const lo = f32(c.eps);
  const hi = f32(1 - c.eps);
  const xlogx = (v: number) => (v > 0 ? v * Math.log(v) : 0);
  const n = x.pStudent.length;
  let node = 0;
  const nodeGrad: number[] = [];
  for (let k = 0; k < n; k++) {
    const p = x.pStudent[k];
    const t = x.pTeacher[k];
    const s = Math.min(Math.max(p, lo), hi);
    node += xlogx(t) + xlogx(1 - t) - t * Math.log(s) - (1 - t) * Math.log(1 - s);
    nodeGrad.push(p >= lo && p <= hi ? (-t / s + (1 - t) / (1 - s)) / n : 0);
  }
  node /= n;
  const logSoftmax = (z: number[]) => {
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    return z.map((v) => v - lse);
  };
  let edge = 0;
  const edgeGrad: number[] = [];
  for (let e = 0; e < x.edges; e++) {
    const at = e * c.classes;
    const ls = logSoftmax(x.zStudent.slice(at, at + c.classes).map((v) => v / c.T));
    const lt = logSoftmax(x.zTeacher.slice(at, at + c.classes).map((v) => v / c.T));
    for (let k = 0; k < c.classes; k++) {
      edge += Math.exp(lt[k]) * (lt[k] - ls[k]);
      edgeGrad.push((c.T * (Math.exp(ls[k]) - Math.exp(lt[k]))) / x.edges); // d(T^2 mean KL)/dz_s
    }
  }
  edge = (c.T * c.T * edge) / x.edges;
  const kd = node + c.beta * edge;
  return {
    "output.node_kd": [node],
    "output.edge_kd": [edge],
    "output.kd": [kd],
    "output.weighted_kd": [c.alpha * kd],
    "output.node_kd_grad_p_student": nodeGrad,
    "output.weighted_kd_grad_p_student": nodeGrad.map((g) => c.alpha * g),
    "output.weighted_kd_grad_z_student": edgeGrad.map((g) => c.alpha * c.beta * g),
  } as Record<string, number[]>;
}

/** Writes NAME.safetensors and NAME.json in the format of kd_losses; `edit` may perturb the expected tensors. */
function writeKdFixture(name: string, c: KdCase, edit: (out: Record<string, number[]>) => void = () => {}): string {
  const x = inputs(c);
  const out = expected(c, x);
  edit(out);
  const E = c.numAu * c.numAu;
  const shapes: Record<string, number[]> = {
    "input.p_student": [c.batch, c.numAu],
    "input.p_teacher": [c.batch, c.numAu],
    "input.z_student": [c.batch, E, c.classes],
    "input.z_teacher": [c.batch, E, c.classes],
    "output.node_kd": [],
    "output.edge_kd": [],
    "output.kd": [],
    "output.weighted_kd": [],
    "output.node_kd_grad_p_student": [c.batch, c.numAu],
    "output.weighted_kd_grad_p_student": [c.batch, c.numAu],
    "output.weighted_kd_grad_z_student": [c.batch, E, c.classes],
  };
  const data: Record<string, number[]> = {
    "input.p_student": x.pStudent,
    "input.p_teacher": x.pTeacher,
    "input.z_student": x.zStudent,
    "input.z_teacher": x.zTeacher,
    ...out,
  };
  const tensors = new Map<string, TensorToWrite>();
  const sidecarTensors: Record<string, unknown> = {};
  for (const [key, shape] of Object.entries(shapes)) {
    tensors.set(key, { dtype: "F32", shape, data: data[key] });
    sidecarTensors[key] = {
      role: key.startsWith("input.") ? "input" : "output",
      dtype: "F32",
      shape,
      // The edge-logit gradients are small (T / (B*N*N) times a probability difference): an
      // absolute floor that float32 rounding of that difference (~1e-7 * T / edges) stays under.
      ...(key === "output.weighted_kd_grad_z_student" ? { tolerance: { atol: 1e-8, rtol: 1e-4 } } : {}),
    };
  }
  const sidecar = {
    format_version: 1,
    name,
    kind: "kd",
    description: "generated by tests/cli/fixture-kd.test.ts: float64 values of the documented kd formulas",
    config: { batch: c.batch, num_au: c.numAu, edges: E, edge_classes: c.classes, T: c.T, alpha: c.alpha, beta: c.beta, eps: c.eps },
    runs: [
      { name: "node_kd", inputs: { p_student: "input.p_student", p_teacher: "input.p_teacher" }, outputs: ["output.node_kd", "output.node_kd_grad_p_student"] },
      { name: "edge_kd", inputs: { z_student: "input.z_student", z_teacher: "input.z_teacher", T: "config.T" }, outputs: ["output.edge_kd"] },
      { name: "kd", call: "node_kd + beta * edge_kd", outputs: ["output.kd"] },
      { name: "weighted_kd", call: "alpha * kd; backward", outputs: ["output.weighted_kd", "output.weighted_kd_grad_p_student", "output.weighted_kd_grad_z_student"] },
    ],
    tolerance: { atol: 1e-5, rtol: 1e-4 },
    compare_rule: "allclose: |actual - expected| <= atol + rtol * |expected| elementwise",
    tensors: sidecarTensors,
  };
  const file = join(dir, `${name}.safetensors`);
  writeFileSync(file, writeSafetensors(tensors, { fixture: name }));
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(sidecar, null, 1));
  return file;
}

// Sizes, temperature, weights and eps all unlike kd_losses (6 x 12 AUs, T 2, alpha 1, beta 0.1, eps 1e-6).
const OTHER: KdCase = { batch: 3, numAu: 5, classes: 4, T: 3.5, alpha: 0.7, beta: 0.25, eps: 1e-5, seed: 20240613 };

type ExecError = { code: number; stdout: string; stderr: string };

describe("maskau fixture check, kind kd, on a generated fixture", () => {
  it("passes with every size, T, alpha, beta and eps taken from the sidecar", async () => {
    const file = writeKdFixture("kd_other", OTHER);
    const { stdout } = await run("node", ["cli/maskau.mjs", "fixture", "check", file]);
    expect(stdout).toContain("kd_other.safetensors (kind kd): PASS");
    for (const name of ["output.node_kd", "output.edge_kd", "output.kd", "output.weighted_kd", "output.weighted_kd_grad_z_student"]) {
      expect(stdout).toMatch(new RegExp(`${name.replace(/\./g, "\\.")}\\s+output\\s+allclose\\s+\\S+\\s+\\S+\\s+\\S+\\s+ok`));
    }
    expect(stdout).toContain("1/1 fixtures pass");
  });

  it("fails (exit 1) when a recorded value or a single gradient element is perturbed", async () => {
    const value = writeKdFixture("kd_bad_value", OTHER, (out) => {
      out["output.weighted_kd"][0] += 1e-3;
    });
    const grad = writeKdFixture("kd_bad_grad", OTHER, (out) => {
      out["output.weighted_kd_grad_z_student"][17] += 1e-5;
    });
    const err = (await run("node", ["cli/maskau.mjs", "fixture", "check", value, grad]).catch((e) => e)) as ExecError;
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/output\.weighted_kd\s.*FAIL \(1 elements\)/);
    expect(err.stdout).toMatch(/output\.weighted_kd_grad_z_student\s.*FAIL \(1 elements\)/);
    expect(err.stdout).toContain("0/2 fixtures pass");
  });
});
