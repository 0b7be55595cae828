// Reference fixtures: a safetensors file of weights, inputs and outputs computed by
// the official PyTorch code, plus a JSON sidecar that describes them (kind, config,
// runs, per-tensor role, comparison rule and tolerance). Everything about sizes is
// read from the sidecar, so fixtures of other shapes and seeds work unchanged.
import { readSafetensors, type SafeTensor } from "./safetensors.js";
import { previewJson } from "./untrusted-json.js";

export type TensorRole = "weight" | "input" | "output" | "intermediate" | "grad" | "updated_buffer";

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface SidecarTensor {
  role: TensorRole;
  dtype: string;
  shape: number[];
  description?: string | null;
  compare?: "exact" | "allclose";
  tolerance?: Tolerance;
}

export interface Sidecar {
  format_version: number;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  derived?: Record<string, unknown>;
  runs?: { name: string; mask_ratio?: number; mode?: string; inputs?: Record<string, string>; [key: string]: unknown }[];
  tolerance?: Tolerance;
  tensors: Record<string, SidecarTensor>;
  [key: string]: unknown;
}

export interface Fixture {
  sidecar: Sidecar;
  tensors: Map<string, SafeTensor>;
  /** Name for messages (file name). */
  source: string;
}

export class FixtureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FixtureError";
  }
}

const ROLES: readonly TensorRole[] = ["weight", "input", "output", "intermediate", "grad", "updated_buffer"];

/**
 * Parses a fixture from its two files' contents; checks that the sidecar has the fields
 * the runners and the comparison read (with their types), and that it agrees with the
 * tensors (every listed tensor present with the listed dtype and shape). Throws
 * FixtureError (sidecar) or SafetensorsError (weights file); never returns part of a fixture.
 */
export function parseFixture(safetensorsBytes: Uint8Array, sidecarText: string, source = "fixture"): Fixture {
  const sidecar = parseSidecar(sidecarText, source);
  const { tensors } = readSafetensors(safetensorsBytes, source);
  checkSidecarAgainst(sidecar, tensors, source);
  return { sidecar, tensors, source };
}

/** A sidecar from its JSON text, with the fields MaskAU reads checked (FixtureError otherwise). */
export function parseSidecar(sidecarText: string, source = "fixture"): Sidecar {
  let value: unknown;
  try {
    value = JSON.parse(sidecarText);
  } catch (error) {
    throw new FixtureError(`${source}: sidecar JSON does not parse (${(error as Error).message})`);
  }
  return checkSidecar(value, source);
}

/** Every tensor the sidecar lists is in the file (a map or listing by name) with the listed dtype and shape. */
export function checkSidecarAgainst(sidecar: Sidecar, tensors: ReadonlyMap<string, { dtype: string; shape: number[] }>, source = "fixture"): void {
  for (const [name, info] of Object.entries(sidecar.tensors)) {
    const t = tensors.get(name);
    if (!t) throw new FixtureError(`${source}: the sidecar lists ${previewJson(name)} but the safetensors file has no such tensor`);
    if (t.shape.join() !== info.shape.join()) {
      throw new FixtureError(`${source}: ${previewJson(name)} has shape [${t.shape}] in the file but ${previewJson(info.shape)} in the sidecar`);
    }
    if (t.dtype !== info.dtype) throw new FixtureError(`${source}: ${previewJson(name)} is ${t.dtype} in the file but ${previewJson(info.dtype)} in the sidecar`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The sidecar's fields that MaskAU reads, checked for presence and type. */
function checkSidecar(value: unknown, source: string): Sidecar {
  const bad = (what: string): never => {
    throw new FixtureError(`${source}: sidecar ${what}`);
  };
  if (!isObject(value) || typeof value.kind !== "string" || !isObject(value.tensors)) {
    bad(`lacks "kind" or "tensors"; is this a MaskAU reference fixture sidecar?`);
  }
  const s = value as Record<string, unknown>;
  if (!s.kind) bad(`has an empty "kind"`);
  if (s.name !== undefined && typeof s.name !== "string") bad(`has a "name" that is not a string (${previewJson(s.name)})`);
  if (!isObject(s.config)) bad(`lacks the "config" object the model is built from`);
  if (s.derived !== undefined && !isObject(s.derived)) bad(`has "derived" that is not an object`);
  if (s.tolerance !== undefined) checkTolerance(s.tolerance, "tolerance", bad);
  if (s.runs !== undefined) {
    if (!Array.isArray(s.runs)) bad(`has "runs" that is not a list`);
    (s.runs as unknown[]).forEach((run, i) => {
      const at = `runs[${i}]`;
      if (!isObject(run)) return bad(`${at} is not an object`);
      if (typeof run.name !== "string") bad(`${at} has no "name" string`);
      if (run.inputs !== undefined && (!isObject(run.inputs) || !Object.values(run.inputs).every((v) => typeof v === "string"))) bad(`${at}.inputs is not an object of tensor names`);
      if (run.outputs !== undefined && (!Array.isArray(run.outputs) || !run.outputs.every((v) => typeof v === "string"))) bad(`${at}.outputs is not a list of names`);
      if (run.mask_ratio !== undefined && typeof run.mask_ratio !== "number") bad(`${at}.mask_ratio is not a number (${previewJson(run.mask_ratio)})`);
      for (const k of ["mode", "call"]) if (run[k] !== undefined && typeof run[k] !== "string") bad(`${at}.${k} is not a string (${previewJson(run[k])})`);
      if (run.config_override !== undefined && !isObject(run.config_override)) bad(`${at}.config_override is not an object`);
    });
  }
  for (const [name, info] of Object.entries(s.tensors as Record<string, unknown>)) {
    const at = `tensor ${previewJson(name)}`;
    if (!isObject(info)) return bad(`${at} is not an object`);
    if (!ROLES.includes(info.role as TensorRole)) bad(`${at} has role ${previewJson(info.role)}, expected one of ${ROLES.join(", ")}`);
    if (typeof info.dtype !== "string") bad(`${at} has no "dtype" string`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(`${at} has an invalid shape ${previewJson(info.shape)}`);
    if (info.compare !== undefined && info.compare !== "exact" && info.compare !== "allclose") bad(`${at} has compare ${previewJson(info.compare)}, expected "exact" or "allclose"`);
    if (info.tolerance !== undefined) checkTolerance(info.tolerance, `${at} tolerance`, bad);
    if (info.description !== undefined && info.description !== null && typeof info.description !== "string") bad(`${at} has a description that is not a string`);
  }
  return value as unknown as Sidecar;
}

function checkTolerance(t: unknown, at: string, bad: (what: string) => never): void {
  const ok = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;
  if (!isObject(t) || !ok(t.atol) || !ok(t.rtol)) bad(`${at} is not {atol, rtol} with finite non-negative numbers (${previewJson(t)})`);
}

/** Tensors of one role, by name, in sidecar order. */
export function tensorsWithRole(fixture: Fixture, role: TensorRole): Map<string, SafeTensor> {
  const out = new Map<string, SafeTensor>();
  for (const [name, info] of Object.entries(fixture.sidecar.tensors)) {
    if (info.role === role) out.set(name, fixture.tensors.get(name)!);
  }
  return out;
}

/** A tensor by name (throws naming the fixture if absent). */
export function fixtureTensor(fixture: Fixture, name: string): SafeTensor {
  const t = fixture.tensors.get(name);
  if (!t) throw new FixtureError(`${fixture.source}: no tensor "${name}"`);
  return t;
}

/** What an implementation produced for a fixture: tensors by the fixture's names. */
export type Produced = Map<string, { shape: number[]; data: ArrayLike<number> }>;

export interface Comparison {
  name: string;
  role: TensorRole;
  compare: "exact" | "allclose";
  atol: number;
  rtol: number;
  maxAbs: number;
  /** max |a - e| / |e| over elements with |e| > 0 (informative). */
  maxRel: number;
  /** Elements outside tolerance. */
  failures: number;
  ok: boolean;
  /** Set when the implementation produced nothing for this name, or the wrong shape. */
  problem?: string;
}

/**
 * Compares every output, intermediate, gradient and updated buffer of the fixture that
 * the implementation produced, with the sidecar's rule: exact, or |a - e| <= atol + rtol |e|.
 * Names the implementation did not produce are reported as missing (not ok) when
 * `requireAll` lists their roles.
 */
export function compareFixture(
  fixture: Fixture,
  produced: Produced,
  { requireRoles = ["output", "grad", "updated_buffer"] as TensorRole[] } = {},
): Comparison[] {
  const rows: Comparison[] = [];
  const base = fixture.sidecar.tolerance ?? { atol: 1e-4, rtol: 1e-4 };
  for (const [name, info] of Object.entries(fixture.sidecar.tensors)) {
    if (info.role === "weight" || info.role === "input") continue;
    const compare = info.compare ?? "allclose";
    const { atol, rtol } = compare === "exact" ? { atol: 0, rtol: 0 } : (info.tolerance ?? base);
    const row: Comparison = { name, role: info.role, compare, atol, rtol, maxAbs: 0, maxRel: 0, failures: 0, ok: true };
    const got = produced.get(name);
    if (!got) {
      if (!requireRoles.includes(info.role)) continue;
      rows.push({ ...row, ok: false, maxAbs: NaN, maxRel: NaN, problem: "not produced" });
      continue;
    }
    const expected = fixture.tensors.get(name)!.data;
    if (got.data.length !== expected.length || got.shape.reduce((a, d) => a * d, 1) !== expected.length) {
      rows.push({ ...row, ok: false, maxAbs: NaN, maxRel: NaN, problem: `shape [${got.shape}] instead of [${info.shape}]` });
      continue;
    }
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i];
      const a = got.data[i];
      const diff = Math.abs(a - e);
      if (!(diff <= atol + rtol * Math.abs(e))) row.failures++;
      if (!(diff <= row.maxAbs)) row.maxAbs = Number.isNaN(diff) ? Infinity : Math.max(row.maxAbs, diff);
      if (e !== 0 && diff / Math.abs(e) > row.maxRel) row.maxRel = diff / Math.abs(e);
    }
    row.ok = row.failures === 0;
    rows.push(row);
  }
  return rows;
}
