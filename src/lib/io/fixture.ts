// Reference fixtures: a safetensors file of weights, inputs and outputs computed by
// the official PyTorch code, plus a JSON sidecar that describes them (kind, config,
// runs, per-tensor role, comparison rule and tolerance). Everything about sizes is
// read from the sidecar, so fixtures of other shapes and seeds work unchanged.
import { readSafetensors, type SafeTensor } from "./safetensors.js";

export type TensorRole = "weight" | "input" | "output" | "intermediate" | "grad" | "updated_buffer";

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface SidecarTensor {
  role: TensorRole;
  dtype: string;
  shape: number[];
  description?: string;
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

/** Parses a fixture from its two files' contents; checks that the sidecar and the tensors agree. */
export function parseFixture(safetensorsBytes: Uint8Array, sidecarText: string, source = "fixture"): Fixture {
  let sidecar: Sidecar;
  try {
    sidecar = JSON.parse(sidecarText) as Sidecar;
  } catch (error) {
    throw new FixtureError(`${source}: sidecar JSON does not parse (${(error as Error).message})`);
  }
  if (typeof sidecar?.kind !== "string" || typeof sidecar.tensors !== "object") {
    throw new FixtureError(`${source}: sidecar lacks "kind" or "tensors"; is this a MaskAU reference fixture sidecar?`);
  }
  const { tensors } = readSafetensors(safetensorsBytes, source);
  for (const [name, info] of Object.entries(sidecar.tensors)) {
    const t = tensors.get(name);
    if (!t) throw new FixtureError(`${source}: the sidecar lists "${name}" but the safetensors file has no such tensor`);
    if (t.shape.join() !== info.shape.join()) {
      throw new FixtureError(`${source}: "${name}" has shape [${t.shape}] in the file but [${info.shape}] in the sidecar`);
    }
  }
  return { sidecar, tensors, source };
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
