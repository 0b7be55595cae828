// Fuzzing what a page reads from its URL and what `--occlusion` reads from a command line:
// the occlusion grammar (src/lib/masks/spec.ts) and the pages' settings schemas
// (src/lib/settings-schema.ts and the pages' own readers). A link is input from outside:
// someone edits it, a chat client mangles it, an old link names settings that have changed.
// - Occlusions: every valid spec writes a text that reads back to the same spec, and its
//   text is canonical; any text either reads to a valid spec whose masks can be drawn, or is
//   refused with an OcclusionError that quotes it (bounded), never a TypeError or a hang.
// - Settings: any query string reads to settings inside every range and choice (a missing or
//   unreadable value takes its default, nothing throws), and settings written to a query
//   read back the same.
import { fc, test } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { EVALUATION_SETTINGS } from "../../src/lib/eval/evaluation-settings.js";
import { MASK_REGIONS } from "../../src/lib/masks/region.js";
import { formatOcclusion, occlusionPatchMasks, occlusionProblem, OcclusionError, parseOcclusion, type OcclusionSpec } from "../../src/lib/masks/spec.js";
import { readSpeedSettings, SPEED_STEPS, SPEED_WORKLOADS } from "../../src/lib/bench/speed-settings.js";
import type { ChoiceField, NumberField, SettingsSchema, SettingsValues } from "../../src/lib/settings-schema.js";
import { isBackendName } from "../../src/lib/tf/backend.js";
import { resolveBackendRequest } from "../../src/lib/tf/backend-choice.js";
import { browserWasmThreads, MAX_BROWSER_WASM_THREADS } from "../../src/lib/tf/wasm-threads-browser.js";
import { DETECTOR_RUN_SETTINGS } from "../../src/lib/train/detector-browser.js";
import { PRETRAIN_SETTINGS } from "../../src/lib/train/mae-run.js";
import { STUDENT_RUN_SETTINGS } from "../../src/lib/train/student-browser.js";
import { mutateText, textMutation } from "./support/mutate.js";
import { FUZZ_LABEL, fuzzParams, typedOutcome } from "./support/settings.js";

// ---------------------------------------------------------------------------------
// The occlusion grammar

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const seed = fc.oneof(fc.constant(0), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.maxSafeInteger());
const point = fc.record({ x: fc.double({ min: -10, max: 80, noNaN: true }), y: fc.double({ min: -10, max: 80, noNaN: true }) });

/** Valid specs of every kind (numbers anywhere in their ranges, not only round ones). */
const validSpec: fc.Arbitrary<OcclusionSpec> = fc.oneof(
  fc.constant<OcclusionSpec>({ kind: "none" }),
  fc.record({ kind: fc.constant("random" as const), ratio: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), seed }),
  fc.record({ kind: fc.constant("block" as const), area: fc.double({ min: 0, max: 1, minExcluded: true, noNaN: true }), placement: fc.constant("random" as const), seed }),
  fc.record({
    kind: fc.constant("block" as const),
    area: fc.double({ min: 0, max: 1, minExcluded: true, noNaN: true }),
    placement: fc.constant("fixed" as const),
    cx: unit,
    cy: unit,
    aspect: fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
  }),
  fc.record({ kind: fc.constant("region" as const), region: fc.constantFrom(...MASK_REGIONS) }),
  fc.record({
    kind: fc.constant("paint" as const),
    threshold: unit,
    strokes: fc.array(fc.record({ radius: fc.double({ min: 0, max: 40, noNaN: true }), points: fc.array(point, { minLength: 1, maxLength: 4 }) }), { maxLength: 3 }),
  }),
) as fc.Arbitrary<OcclusionSpec>;

/** Texts near the grammar: its words and separators, digits, signs, exponents and a few strangers. */
const grammarText = fc.string({
  unit: fc.constantFrom("none", "random", "block", "region", "paint", "center", "eyes", "mouth", ":", ":", ".", ",", ";", "0", "1", "5", "9", "e", "-", "+", " ", "x", "0x", "Infinity", "NaN", "\u00e9", "\n"),
  maxLength: 24,
});

/** The value of a call that must neither throw nor hang (typedOutcome with no error allowed rethrows any). */
function neverThrows<T>(run: () => T): T {
  const outcome = typedOutcome(run, []);
  if (!outcome.ok) throw outcome.error; // unreachable: narrows the type
  return outcome.value;
}

/** How the generated texts fared: both outcomes must occur, or a property tests nothing. */
const tally = { accepted: 0, refused: 0 };

/** Reading a text: a valid spec whose text is canonical and whose masks can be drawn, or an OcclusionError quoting it. */
function readOcclusion(text: string): void {
  const outcome = typedOutcome(() => parseOcclusion(text), [OcclusionError]);
  if (!outcome.ok) {
    tally.refused++;
    expect(outcome.error.message).toContain(`occlusion ${JSON.stringify(text.trim()).slice(0, 100)}`);
    return;
  }
  tally.accepted++;
  const spec = outcome.value;
  expect(occlusionProblem(spec)).toBeNull();
  const canonical = formatOcclusion(spec);
  expect(parseOcclusion(canonical)).toEqual(spec);
  const masks = neverThrows(() => occlusionPatchMasks(spec, [0, 1, 7], 8, 8));
  expect(masks.length).toBe(3 * 64);
  expect(masks.every((v) => v === 0 || v === 1)).toBe(true);
}

describe(`occlusion grammar fuzzing (${FUZZ_LABEL})`, () => {
  afterAll(() => {
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });

  test.prop([validSpec], fuzzParams())("a valid spec's text reads back to the same spec, and is canonical", (spec) => {
    const text = formatOcclusion(spec);
    const back = parseOcclusion(text);
    // The same spec, with -0 read as 0 (JSON writes both as 0): the same mask, one text.
    expect(back).toEqual(JSON.parse(JSON.stringify(spec)));
    expect(formatOcclusion(back)).toBe(text);
  });

  test.prop([validSpec, fc.array(textMutation, { minLength: 1, maxLength: 4 })], fuzzParams())(
    "an edited text reads to a valid spec or is refused with an OcclusionError",
    (spec, edits) => readOcclusion(mutateText(formatOcclusion(spec), edits)),
  );

  test.prop([grammarText], fuzzParams())("any text near the grammar reads to a valid spec or is refused with an OcclusionError", readOcclusion);

  test.prop([fc.string({ maxLength: 3000 })], fuzzParams(0.3))("any text at all, long ones too", readOcclusion);
});

// ---------------------------------------------------------------------------------
// Page settings read from the URL

const SCHEMAS: [string, SettingsSchema<SettingsValues>][] = [
  ["MAE pretraining", PRETRAIN_SETTINGS as unknown as SettingsSchema<SettingsValues>],
  ["Teacher runs", DETECTOR_RUN_SETTINGS as unknown as SettingsSchema<SettingsValues>],
  ["Student & KD", STUDENT_RUN_SETTINGS as unknown as SettingsSchema<SettingsValues>],
  ["Evaluation", EVALUATION_SETTINGS as unknown as SettingsSchema<SettingsValues>],
  ["Speed", SPEED_STEPS as unknown as SettingsSchema<SettingsValues>],
];

/** A schema's fields, each a number or a choice. */
const fieldsOf = (schema: SettingsSchema<SettingsValues>) => Object.entries(schema.fields as Record<string, NumberField | ChoiceField>);

/** Settings inside every range and choice of the schema. */
function expectValid(schema: SettingsSchema<SettingsValues>, s: SettingsValues): void {
  expect(Object.keys(s).sort()).toEqual(Object.keys(schema.defaults).sort());
  for (const [key, field] of fieldsOf(schema)) {
    const v = s[key];
    if ("choices" in field) {
      expect(field.choices, key).toContain(v);
    } else {
      expect(typeof v, key).toBe("number");
      expect(v, key).toBeGreaterThanOrEqual(field.range[0]);
      expect(v, key).toBeLessThanOrEqual(field.range[1]);
      if (field.integer) expect(Number.isInteger(v), key).toBe(true);
    }
  }
}

/** A query value: a real choice or number of the field, or something else. */
function valueFor(schema: SettingsSchema<SettingsValues>): fc.Arbitrary<[string, string]> {
  const entries = fieldsOf(schema);
  return fc.constantFrom(...entries).chain(([key, field]) => {
    const queryKey = schema.queryKeys[key];
    const good = "choices" in field ? fc.constantFrom(...field.choices.map(String)) : fc.double({ min: field.range[0] - 10, max: field.range[1] + 10, noNaN: true }).map(String);
    const odd = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("", " ", "NaN", "Infinity", "-Infinity", "1e999", "0x10", "1,5", "__proto__", "constructor"));
    return fc.tuple(fc.constant(queryKey), fc.oneof(good, odd));
  });
}

/** A query string of settings and strangers, in any order, with repeats. */
function searchFor(schema: SettingsSchema<SettingsValues>): fc.Arbitrary<string> {
  const stranger = fc.tuple(fc.constantFrom("backend", "wasm-threads", "__proto__", "x", ""), fc.string({ maxLength: 6 }));
  return fc
    .array(fc.oneof(valueFor(schema), stranger), { maxLength: 8 })
    .map((pairs) => `?${new URLSearchParams(pairs).toString()}`);
}

/** Valid settings of the schema. */
function settingsFor(schema: SettingsSchema<SettingsValues>): fc.Arbitrary<SettingsValues> {
  const fields = Object.fromEntries(
    fieldsOf(schema).map(([key, field]) => [
      key,
      "choices" in field
        ? fc.constantFrom(...field.choices)
        : field.integer
          ? fc.integer({ min: Math.ceil(field.range[0]), max: Math.floor(field.range[1]) })
          : fc.double({ min: field.range[0], max: field.range[1], noNaN: true }),
    ]),
  ) as Record<string, fc.Arbitrary<number | string>>;
  return fc.record(fields);
}

describe(`page settings from the URL fuzzing (${FUZZ_LABEL})`, () => {
  for (const [page, schema] of SCHEMAS) {
    test.prop([searchFor(schema)], fuzzParams(0.3))(`${page}: any query string reads to settings inside every range and choice`, (search) => {
      expectValid(schema, neverThrows(() => schema.read(search)));
    });

    test.prop([fc.string({ maxLength: 60 })], fuzzParams(0.2))(`${page}: any text as a query string reads to valid settings`, (search) => {
      expectValid(schema, schema.read(search));
    });

    test.prop([settingsFor(schema)], fuzzParams(0.3))(`${page}: settings written to a query read back the same`, (settings) => {
      const s = schema.normalize(settings);
      const query = Object.entries(schema.query(s)).filter((e): e is [string, string] => e[1] !== null);
      const back = schema.read(`?${new URLSearchParams(query).toString()}`);
      expect(back).toEqual(s);
    });
  }

  test.prop([fc.string({ maxLength: 40 }), fc.option(fc.string({ maxLength: 10 }), { nil: null })], fuzzParams(0.5))(
    "?backend= and a saved choice resolve to a backend or the automatic choice, reporting what named none",
    (search, saved) => {
      const r = resolveBackendRequest(search, saved);
      expect(r.name === null || isBackendName(r.name)).toBe(true);
      const asked = new URLSearchParams(search).get("backend");
      if (r.invalid !== null) expect(r.invalid).toBe(asked);
    },
  );

  test.prop([fc.string({ maxLength: 40 }), fc.double({ noNaN: false }), fc.boolean()], fuzzParams(0.5))(
    "?wasm-threads= gives a thread count from 1 to the cap, and 1 without isolation",
    (search, cpus, available) => {
      const n = browserWasmThreads(search, cpus, available);
      expect(Number.isInteger(n)).toBe(true);
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(available ? MAX_BROWSER_WASM_THREADS : 1);
    },
  );

  test.prop([fc.string({ maxLength: 60 })], fuzzParams(0.5))("the Speed page's ?workloads= keeps known workloads in order, all when none is known", (search) => {
    const s = readSpeedSettings(search);
    expect(s.workloads.length).toBeGreaterThan(0);
    expect(s.workloads).toEqual(SPEED_WORKLOADS.filter((w) => s.workloads.includes(w)));
  });
});
