// Reference-fixture sidecars: every shipped sidecar parses; a sidecar whose fields have the
// wrong type gets a FixtureError that names the fixture and the field. The bad cases are
// the ones fuzzing found (tests/fuzz/fixture.test.ts): each crashed with a TypeError, or
// parsed and then compared nothing correctly.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkFixture } from "../../../src/lib/fixtures/index.js";
import { compareFixture, FixtureError, parseFixture } from "../../../src/lib/io/fixture.js";
import { writeSafetensors } from "../../../src/lib/io/safetensors.js";
import { fixturePath } from "../../support/shared.js";

const bytes = writeSafetensors({ "output.y": { dtype: "F32", shape: [2], data: [1, 2] }, "input.x": { dtype: "I64", shape: [], data: [3] } });
const good = () => ({
  format_version: 1,
  name: "tiny",
  kind: "losses",
  config: {},
  tensors: { "output.y": { role: "output", dtype: "F32", shape: [2] }, "input.x": { role: "input", dtype: "I64", shape: [] } },
});

function fixtureError(sidecar: unknown): string {
  try {
    parseFixture(bytes, typeof sidecar === "string" ? sidecar : JSON.stringify(sidecar), "tiny.safetensors");
  } catch (e) {
    expect(e).toBeInstanceOf(FixtureError);
    expect((e as Error).message).toMatch(/^tiny\.safetensors: /);
    return (e as Error).message;
  }
  throw new Error("the sidecar was accepted");
}

describe("fixture sidecars", () => {
  it("every shipped sidecar parses with its safetensors file", () => {
    for (const name of ["mae_tiny", "mae_tiny_normpix", "megraphau_anfl", "megraphau_mefl", "megraphau_losses", "megraphau_metrics", "kd_losses"]) {
      const fixture = parseFixture(new Uint8Array(readFileSync(fixturePath(`${name}.safetensors`))), readFileSync(fixturePath(`${name}.json`), "utf8"), name);
      expect(fixture.sidecar.name).toBe(name);
    }
  });

  it("a valid sidecar compares its own tensors as equal", () => {
    const fixture = parseFixture(bytes, JSON.stringify(good()), "tiny.safetensors");
    const rows = compareFixture(fixture, new Map([["output.y", { shape: [2], data: [1, 2] }]]));
    expect(rows.map((r) => [r.name, r.ok])).toEqual([["output.y", true]]);
  });

  it("not a sidecar at all", () => {
    expect(fixtureError("{")).toMatch(/sidecar JSON does not parse/);
    expect(fixtureError(null)).toMatch(/lacks "kind" or "tensors"/);
    expect(fixtureError({ ...good(), tensors: null })).toMatch(/lacks "kind" or "tensors"/); // was a TypeError
    expect(fixtureError({ ...good(), tensors: [] })).toMatch(/lacks "kind" or "tensors"/);
    expect(fixtureError({ ...good(), kind: "" })).toMatch(/empty "kind"/);
  });

  it("tensor entries of the wrong type (each was a TypeError)", () => {
    const withTensor = (info: unknown) => ({ ...good(), tensors: { ...good().tensors, "output.y": info } });
    expect(fixtureError(withTensor(null))).toMatch(/tensor "output\.y" is not an object/);
    expect(fixtureError(withTensor({ role: "output", dtype: "F32" }))).toMatch(/tensor "output\.y" has an invalid shape undefined/);
    expect(fixtureError(withTensor({ role: "output", dtype: "F32", shape: 2 }))).toMatch(/invalid shape 2/);
    expect(fixtureError(withTensor({ role: "answer", dtype: "F32", shape: [2] }))).toMatch(/role "answer", expected one of weight, input/);
    expect(fixtureError(withTensor({ role: "output", dtype: "F32", shape: [2], compare: "close" }))).toMatch(/compare "close"/);
  });

  it("tolerances that are not numbers (every element failed the comparison)", () => {
    expect(fixtureError({ ...good(), tolerance: { atol: "1e-4", rtol: 0 } })).toMatch(/tolerance is not \{atol, rtol\} with finite non-negative numbers \(\{"atol":"1e-4","rtol":0\}\)/);
    const info = { role: "output", dtype: "F32", shape: [2], tolerance: { atol: -1, rtol: 0 } };
    expect(fixtureError({ ...good(), tensors: { ...good().tensors, "output.y": info } })).toMatch(/tensor "output\.y" tolerance is not/);
  });

  it("what the runners read: config, runs", () => {
    const { config: _, ...noConfig } = good();
    expect(fixtureError(noConfig)).toMatch(/lacks the "config" object/);
    expect(fixtureError({ ...good(), runs: {} })).toMatch(/"runs" that is not a list/);
    expect(fixtureError({ ...good(), runs: [{ inputs: {} }] })).toMatch(/runs\[0\] has no "name" string/);
    expect(fixtureError({ ...good(), runs: [{ name: "a", inputs: { x: 1 } }] })).toMatch(/runs\[0\]\.inputs is not an object of tensor names/);
    expect(fixtureError({ ...good(), runs: [{ name: "a", mask_ratio: "0.5" }] })).toMatch(/runs\[0\]\.mask_ratio is not a number/);
  });

  it("a sidecar that disagrees with the file", () => {
    expect(fixtureError({ ...good(), tensors: { "output.z": { role: "output", dtype: "F32", shape: [2] } } })).toMatch(/lists "output\.z" but the safetensors file has no such tensor/);
    expect(fixtureError({ ...good(), tensors: { "output.y": { role: "output", dtype: "F32", shape: [3] } } })).toMatch(/shape \[2\] in the file but \[3\] in the sidecar/);
    expect(fixtureError({ ...good(), tensors: { "input.x": { role: "input", dtype: "F32", shape: [] } } })).toMatch(/"input\.x" is I64 in the file but "F32" in the sidecar/);
  });

  it("a sidecar kind that names an Object.prototype member picks no runner (it called Object and failed with a TypeError)", async () => {
    for (const kind of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const fixture = parseFixture(bytes, JSON.stringify({ ...good(), kind }), "tiny.safetensors");
      await expect(checkFixture(fixture)).rejects.toThrow(new RegExp(`^tiny\\.safetensors: unknown fixture kind "${kind}" \\(supported: mae, anfl`));
    }
  });
});
