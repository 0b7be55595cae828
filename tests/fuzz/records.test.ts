// Fuzzing run records (src/lib/records/check.ts), which come from outside: files dropped into
// src/data/records and records downloaded from a page. A committed record with its fields
// replaced by hostile values, deleted or added, or its text edited, either checks, and then
// every table a report page draws from it (headline, per-AU F1, sweep, history, feature
// map, manifest, comparison, index entry) is built without an error, or fails with a
// RecordError whose bounded message names the file.
import { fc, test } from "@fast-check/vitest";
import { readFileSync } from "node:fs";
import { describe } from "vitest";
import { parseRecord, RecordError } from "../../src/lib/records/check.js";
import type { RunRecord } from "../../src/lib/records/record.js";
import { compareAuRows, evaluationRows, featureRows, headlineRow, historyRows, indexEntry, manifestDiff, manifestRows, perAuRows, sweepRows } from "../../src/lib/records/tables.js";
import { jsonMutation, jsonText, mutateJson, mutateText, textMutation } from "./support/mutate.js";
import { FUZZ_LABEL, fuzzParams, typedOutcome } from "./support/settings.js";

const SOURCE = "fuzz-record.json";

/** A committed record cut down (a few history steps and map points) so that mutations reach every section. */
function small(id: string): unknown {
  const r = JSON.parse(readFileSync(`src/data/records/${id}.json`, "utf8")) as RunRecord;
  const f = r.features;
  return {
    ...r,
    history: r.history.slice(0, 3),
    ...(r.sweep ? { sweep: { ...r.sweep, points: r.sweep.points.slice(0, 2) } } : {}),
    ...(f ? { features: { ...f, x: f.x.slice(0, 3), y: f.y.slice(0, 3), labels: f.labels.slice(0, 3), subjects: f.subjects.slice(0, 3) } } : {}),
  };
}

const BASES = [small("teacher-tiny-mefl-random0.5"), small("mae-tiny"), small("detector-tiny-clean")];
const reference = parseRecord(JSON.stringify(BASES[0]));

/** parseRecord on untrusted text: a record every report table handles, or a RecordError naming the file. */
function readUntrusted(text: string): void {
  const parsed = typedOutcome(() => parseRecord(text, SOURCE), [RecordError], SOURCE);
  if (!parsed.ok) return;
  const r = parsed.value;
  const tables = typedOutcome(() => {
    headlineRow(r);
    perAuRows(r);
    sweepRows(r);
    evaluationRows(r);
    historyRows(r);
    featureRows(r);
    manifestRows(r);
    compareAuRows(reference, r);
    manifestDiff(r, reference);
    return indexEntry(r);
  }, []);
  if (!tables.ok) throw tables.error;
}

describe(`run record fuzzing (${FUZZ_LABEL})`, () => {
  test.prop([fc.constantFrom(0, 1, 2), fc.array(jsonMutation, { minLength: 1, maxLength: 3 })], fuzzParams())(
    "a record with fields replaced, deleted or added checks and renders, or fails with a RecordError",
    (base, mutations) => readUntrusted(jsonText(mutateJson(BASES[base], mutations, 5))),
  );

  test.prop([fc.constantFrom(0, 1, 2), fc.array(textMutation, { minLength: 1, maxLength: 4 })], fuzzParams(0.5))(
    "a record's text edited checks and renders, or fails with a RecordError",
    (base, mutations) => readUntrusted(mutateText(JSON.stringify(BASES[base]), mutations)),
  );

  test.prop([fc.jsonValue({ maxDepth: 3 })], fuzzParams(0.3))("any JSON value fails with a RecordError or checks", (value) => readUntrusted(JSON.stringify(value)));
});
