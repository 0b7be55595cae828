// Fuzzing reference-fixture sidecars (src/lib/io/fixture.ts): a generated fixture (tensors
// plus a sidecar describing them) parses and compares equal to itself; a sidecar with
// fields replaced, deleted or added, or its text edited, either parses to a fixture that
// the comparison and role lookups handle, or fails with a FixtureError (or, for the
// weights file, a SafetensorsError) naming the fixture. The shipped mae_tiny sidecar is
// mutated the same way.
import { fc, test } from "@fast-check/vitest";
import { readFileSync } from "node:fs";
import { describe, expect } from "vitest";
import { compareFixture, FixtureError, parseFixture, tensorsWithRole, type Fixture, type Produced, type TensorRole } from "../../src/lib/io/fixture.js";
import { SafetensorsError, writeSafetensors, type TensorToWrite } from "../../src/lib/io/safetensors.js";
import { fixturePath } from "../support/shared.js";
import { jsonMutation, jsonText, mutateJson, mutateText, textMutation } from "./support/mutate.js";
import { FUZZ_LABEL, fuzzParams, typedOutcome } from "./support/settings.js";

const SOURCE = "fuzz_fixture.safetensors";
const ERRORS = [FixtureError, SafetensorsError];
const ROLES: TensorRole[] = ["weight", "input", "output", "intermediate", "grad", "updated_buffer"];

interface GenFixture {
  bytes: Uint8Array;
  sidecar: Record<string, unknown>;
}

const tolerance = fc.record({ atol: fc.double({ min: 0, max: 1, noNaN: true }), rtol: fc.double({ min: 0, max: 1, noNaN: true }) });

const fixtureArb: fc.Arbitrary<GenFixture> = fc
  .uniqueArray(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("output.pred", "input.imgs", "__proto__", "grad.x")), { minLength: 1, maxLength: 5 })
  .map((names) => names.filter((n) => n !== "__metadata__" && !/[\uD800-\uDFFF]/.test(n)))
  .chain((names) =>
    fc.record({
      entries: fc.tuple(
        ...names.map((name) =>
          fc.record({
            name: fc.constant(name),
            role: fc.constantFrom(...ROLES),
            dtype: fc.constantFrom<TensorToWrite["dtype"]>("F32", "I64"),
            shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
            compare: fc.option(fc.constantFrom("exact", "allclose"), { nil: undefined }),
            tolerance: fc.option(tolerance, { nil: undefined }),
            description: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
          }),
        ),
      ),
      kind: fc.constantFrom("mae", "anfl", "mefl", "losses", "metrics", "kd", "other"),
      name: fc.string({ maxLength: 10 }),
      config: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
      tolerance: fc.option(tolerance, { nil: undefined }),
      runs: fc.option(fc.array(fc.record({ name: fc.string({ maxLength: 6 }), mask_ratio: fc.double({ min: 0, max: 0.99, noNaN: true }) }), { maxLength: 2 }), { nil: undefined }),
    }),
  )
  .map(({ entries, kind, name, config, tolerance: base, runs }) => {
    const tensors = new Map<string, TensorToWrite>();
    const listed: Record<string, unknown> = {};
    for (const e of entries) {
      const n = e.shape.reduce((a, d) => a * d, 1);
      tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: Array.from({ length: n }, (_, i) => (e.dtype === "F32" ? Math.fround(i / 3) : i)) });
      const info: Record<string, unknown> = { role: e.role, dtype: e.dtype, shape: e.shape };
      for (const k of ["compare", "tolerance", "description"] as const) if (e[k] !== undefined) info[k] = e[k];
      Object.defineProperty(listed, e.name, { value: info, enumerable: true });
    }
    const sidecar: Record<string, unknown> = { format_version: 1, name, kind, config, tensors: listed };
    if (base) sidecar.tolerance = base;
    if (runs) sidecar.runs = runs;
    return { bytes: writeSafetensors(tensors), sidecar };
  });

/** The fixture's own tensors as if an implementation had produced them. */
function selfProduced(fixture: Fixture): Produced {
  return new Map([...fixture.tensors].map(([name, t]) => [name, { shape: t.shape, data: t.data }]));
}

/** parseFixture on an untrusted sidecar: a fixture that comparison and lookups handle, or a typed error. */
function parseUntrusted(bytes: Uint8Array, sidecarText: string): void {
  const parsed = typedOutcome(() => parseFixture(bytes, sidecarText, SOURCE), ERRORS, SOURCE);
  if (!parsed.ok) return;
  const fixture = parsed.value;
  const rows = typedOutcome(() => compareFixture(fixture, selfProduced(fixture)), []);
  if (!rows.ok) throw rows.error;
  for (const row of rows.value) expect(row.ok, `${row.name} compared with itself`).toBe(true);
  for (const role of ROLES) for (const t of tensorsWithRole(fixture, role).values()) expect(t).toBeDefined();
}

describe(`fixture sidecar fuzzing (${FUZZ_LABEL})`, () => {
  test.prop([fixtureArb], fuzzParams())("a generated fixture parses and compares equal to itself", (g) => {
    const fixture = parseFixture(g.bytes, jsonText(g.sidecar), SOURCE);
    expect(Object.keys(fixture.sidecar.tensors).sort()).toEqual(Object.keys(g.sidecar.tensors as object).sort());
    const rows = compareFixture(fixture, selfProduced(fixture));
    expect(rows.every((r) => r.ok)).toBe(true);
    const compared = Object.values(g.sidecar.tensors as Record<string, { role: string }>).filter((t) => t.role !== "weight" && t.role !== "input");
    expect(rows.length).toBe(compared.length);
  });

  test.prop([fixtureArb, fc.array(jsonMutation, { minLength: 1, maxLength: 3 })], fuzzParams())(
    "sidecar fields replaced, deleted or added: a usable fixture or a FixtureError",
    (g, mutations) => parseUntrusted(g.bytes, jsonText(mutateJson(g.sidecar, mutations))),
  );

  test.prop([fixtureArb, fc.array(textMutation, { minLength: 1, maxLength: 4 })], fuzzParams(0.5))(
    "sidecar text edited: a usable fixture or a FixtureError",
    (g, mutations) => parseUntrusted(g.bytes, mutateText(jsonText(g.sidecar), mutations)),
  );

  const shipped = { bytes: new Uint8Array(readFileSync(fixturePath("kd_losses.safetensors"))), sidecar: JSON.parse(readFileSync(fixturePath("kd_losses.json"), "utf8")) as unknown };
  test.prop([fc.array(jsonMutation, { minLength: 1, maxLength: 3 })], fuzzParams(0.3))(
    "the shipped kd_losses sidecar with fields replaced, deleted or added",
    (mutations) => parseUntrusted(shipped.bytes, jsonText(mutateJson(shipped.sidecar, mutations, 3))),
  );
});
