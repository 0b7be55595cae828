// Loads a reference fixture and checks an implementation's outputs against it with the
// sidecar's tolerances; failing rows are listed by name with their errors.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { compareFixture, parseFixture, type Comparison, type Fixture, type Produced } from "../../../src/lib/io/fixture.js";
import { fixturePath } from "../../support/shared.js";

export function loadFixture(name: string): Fixture {
  const bytes = new Uint8Array(readFileSync(fixturePath(`${name}.safetensors`)));
  return parseFixture(bytes, readFileSync(fixturePath(`${name}.json`), "utf8"), name);
}

const describeRow = (r: Comparison) =>
  `${r.name}: ${r.problem ?? `${r.failures} outside atol ${r.atol} rtol ${r.rtol}, max abs ${r.maxAbs.toExponential(2)}`}`;

/** Asserts every comparison row is within tolerance; returns the largest absolute error. */
export function expectParity(fixture: Fixture, produced: Produced, label: string): { maxAbs: number; worst: string; rows: number } {
  const rows = compareFixture(fixture, produced);
  expect(rows.length).toBeGreaterThan(0);
  const bad = rows.filter((r) => !r.ok).map(describeRow);
  expect(bad, `${label}: rows out of tolerance`).toEqual([]);
  let maxAbs = 0;
  let worst = "";
  for (const r of rows) {
    if (r.maxAbs > maxAbs) {
      maxAbs = r.maxAbs;
      worst = r.name;
    }
  }
  console.log(`${label}: ${rows.length} rows ok, max abs error ${maxAbs.toExponential(2)} (${worst})`);
  return { maxAbs, worst, rows: rows.length };
}
