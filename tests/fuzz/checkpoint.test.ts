// Fuzzing MaskAU checkpoint decoding (src/lib/io/checkpoint.ts): generated checkpoints
// (any metadata, optimizer state, int64 buffers) round-trip exactly; mutated `maskau`
// metadata (fields replaced with hostile values, deleted, added; not JSON at all) either
// decodes to metadata that has the documented shape or fails with a CheckpointError
// naming the file; the same for resuming (checkpointToTrainState).
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import {
  CheckpointError,
  checkpointToTrainState,
  decodeCheckpoint,
  encodeCheckpoint,
  isInt64Name,
  META_KEY,
  OPTIMIZER_PREFIX,
  type CheckpointMeta,
  type CheckpointMetaInput,
  type DecodedCheckpoint,
} from "../../src/lib/io/checkpoint.js";
import { readSafetensors, SafetensorsError, writeSafetensors, type TensorToWrite } from "../../src/lib/io/safetensors.js";
import type { TensorData } from "../../src/lib/models/params.js";
import type { OptimizerState } from "../../src/lib/train/trainer.js";
import { byteMutation, jsonMutation, jsonText, mutateBytes, mutateJson } from "./support/mutate.js";
import { FUZZ_LABEL, fuzzParams, typedOutcome } from "./support/settings.js";

const SOURCE = "fuzz-run.safetensors";
const ERRORS = [CheckpointError, SafetensorsError];

const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
const text = (maxLength = 12) => fc.string({ unit: "binary", maxLength }).filter(wellFormed);
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

const modelName = fc
  .oneof(
    fc.constantFrom("fc.weight", "fc.bias", "bn.running_mean", "bn.num_batches_tracked", "layer1.0.bn1.num_batches_tracked", "__proto__", "constructor", "blocks.0.attn.qkv.weight"),
    text(),
  )
  .filter((n) => n !== "__metadata__" && !n.startsWith(OPTIMIZER_PREFIX));

const shape = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });

function tensorData(name: string): fc.Arbitrary<TensorData> {
  return fc.record({ shape, float: isInt64Name(name) ? fc.constant(false) : fc.boolean(), seed: fc.integer() }).map(({ shape, float, seed }) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const data = float ? Float32Array.from({ length: n }, (_, i) => Math.fround(Math.cos(seed + i) * 10)) : Int32Array.from({ length: n }, (_, i) => (seed + i * 7919) | 0);
    return { shape, data };
  });
}

const jsonObject = fc.dictionary(fc.oneof(text(8), fc.constant("__proto__")), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });

interface Generated {
  state: Map<string, TensorData>;
  meta: CheckpointMetaInput;
  optimizer: OptimizerState | null;
}

const checkpointArb: fc.Arbitrary<Generated> = fc.uniqueArray(modelName, { maxLength: 5 }).chain((names) =>
  fc
    .record({
      tensors: fc.tuple(...names.map(tensorData)),
      model: text().filter((s) => s.length > 0),
      config: jsonObject,
      dataset: fc.option(fc.oneof(jsonObject, text()), { nil: undefined }),
      seed: fc.option(fc.integer(), { nil: undefined }),
      step: fc.option(fc.nat(), { nil: undefined }),
      metrics: fc.option(fc.dictionary(text(8), finite, { maxKeys: 3 }), { nil: undefined }),
      createdBy: fc.option(text(40), { nil: undefined }),
      history: fc.option(fc.array(fc.record({ step: fc.nat(), loss: finite, lr: finite }), { maxLength: 3 }), { nil: undefined }),
      resumable: fc.boolean(),
      optimizerStep: fc.nat(1000),
      trainerConfig: fc.record({ steps: fc.nat(), lr: finite, warmup: fc.nat() }),
    })
    .map((g): Generated => {
      const state = new Map(names.map((n, i) => [n, g.tensors[i]] as const));
      const meta: CheckpointMetaInput = { model: g.model, config: g.config, createdAt: "2026-01-01T00:00:00.000Z" };
      for (const k of ["dataset", "seed", "step", "metrics", "createdBy", "history"] as const) if (g[k] !== undefined) Object.assign(meta, { [k]: g[k] });
      if (!g.resumable) return { state, meta, optimizer: null };
      const variables = names.filter((n) => g.tensors[names.indexOf(n)].data instanceof Float32Array);
      const buffers: OptimizerState["buffers"] = {};
      for (const v of variables) {
        const t = state.get(v)!;
        Object.defineProperty(buffers, `${v}.exp_avg`, { value: { shape: t.shape, values: (t.data as Float32Array).map((x) => x / 2) }, enumerable: true });
      }
      meta.trainer = {
        step: g.optimizerStep,
        optimizerStep: g.optimizerStep,
        config: { ...g.trainerConfig, minLr: 0, weightDecay: 0 } as never,
        history: [{ step: 1, totalSteps: 2, lr: 0.1, loss: 1, metrics: {}, ms: 3 }],
        variables,
      };
      return { state, meta, optimizer: { step: g.optimizerStep, buffers } };
    }),
);

/** Decoded metadata has the documented shape (what the CLI, pages and loaders rely on). */
function expectWellFormedMeta(meta: CheckpointMeta): void {
  const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  const optional = (v: unknown, ok: (v: unknown) => boolean, what: string) => {
    if (v !== undefined && !ok(v)) throw new Error(`decoded metadata has ${what} = ${jsonText(v)}`);
  };
  expect(typeof meta.model === "string" && meta.model.length > 0).toBe(true);
  expect(isObject(meta.config)).toBe(true);
  expect(Number.isInteger(meta.version) && meta.version >= 1).toBe(true);
  optional(meta.seed, (v) => v === null || typeof v === "number", "seed");
  optional(meta.step, (v) => v === null || typeof v === "number", "step");
  optional(meta.metrics, (v) => isObject(v) && Object.values(v as object).every((x) => x === null || typeof x === "number"), "metrics");
  optional(meta.createdBy, (v) => typeof v === "string", "createdBy");
  optional(meta.createdAt, (v) => typeof v === "string", "createdAt");
  optional(meta.dataset, (v) => v === null || typeof v === "string" || isObject(v), "dataset");
  optional(meta.history, (v) => Array.isArray(v) && v.every(isObject), "history");
  optional(
    meta.trainer,
    (t) => {
      const tt = t as Record<string, unknown>;
      return (
        isObject(t) &&
        Number.isSafeInteger(tt.step) &&
        Number.isSafeInteger(tt.optimizerStep) &&
        isObject(tt.config) &&
        Array.isArray(tt.history) &&
        (tt.history as unknown[]).every(isObject) &&
        Array.isArray(tt.variables) &&
        (tt.variables as unknown[]).every((v) => typeof v === "string")
      );
    },
    "trainer",
  );
}

/** decodeCheckpoint (and resuming) on untrusted bytes: complete and well-formed, or a typed error. */
function decodeUntrusted(bytes: Uint8Array): void {
  const decoded = typedOutcome(() => decodeCheckpoint(bytes, SOURCE), ERRORS, SOURCE);
  if (!decoded.ok) return;
  const ckpt = decoded.value;
  const file = readSafetensors(bytes, SOURCE);
  const optimizerCount = ckpt.optimizer ? Object.keys(ckpt.optimizer.buffers).length : 0;
  expect(ckpt.tensors.size + optimizerCount).toBe(file.tensors.size);
  if (ckpt.meta === null) {
    expect(Object.hasOwn(file.metadata, META_KEY)).toBe(false);
    return;
  }
  expectWellFormedMeta(ckpt.meta);
  if (!ckpt.meta.trainer) return;
  const resumed = typedOutcome(() => checkpointToTrainState(ckpt, SOURCE), [CheckpointError], SOURCE);
  if (!resumed.ok) return;
  expect(Object.keys(resumed.value.variables).sort()).toEqual([...ckpt.meta.trainer.variables].sort());
  for (const v of Object.values(resumed.value.variables)) expect(v.values).toBeInstanceOf(Float32Array);
}

/** A checkpoint whose `maskau` entry is the given text (other tensors and metadata as generated). */
function withMetaText(g: Generated, metaText: string): Uint8Array {
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, t] of g.state) tensors.set(name, { dtype: t.data instanceof Float32Array ? "F32" : isInt64Name(name) ? "I64" : "I32", shape: t.shape, data: t.data });
  for (const [key, b] of Object.entries(g.optimizer?.buffers ?? {})) tensors.set(OPTIMIZER_PREFIX + key, { dtype: "F32", shape: b.shape, data: b.values });
  return writeSafetensors(tensors, { format: "pt", [META_KEY]: metaText });
}

function fullMeta(g: Generated): CheckpointMeta {
  return JSON.parse(JSON.stringify({ format: "maskau-checkpoint", version: 1, ...g.meta })) as CheckpointMeta;
}

describe(`checkpoint fuzzing (${FUZZ_LABEL})`, () => {
  test.prop([checkpointArb], fuzzParams())("a generated checkpoint (metadata, optimizer state, int64 buffers) round-trips exactly", (g) => {
    const bytes = encodeCheckpoint(g.state, g.meta, g.optimizer);
    const ckpt: DecodedCheckpoint = decodeCheckpoint(bytes, SOURCE);
    expect(ckpt.meta).toEqual(fullMeta(g));
    expect([...ckpt.tensors.keys()].sort()).toEqual([...g.state.keys()].sort());
    for (const [name, t] of g.state) {
      const got = ckpt.tensors.get(name)!;
      expect(got.shape).toEqual(t.shape);
      expect(got.data).toEqual(t.data);
      expect(ckpt.dtypes.get(name)).toBe(t.data instanceof Float32Array ? "F32" : isInt64Name(name) ? "I64" : "I32");
    }
    const noBuffers = !g.optimizer || Object.keys(g.optimizer.buffers).length === 0;
    if (noBuffers) expect(ckpt.optimizer).toBeNull(); // the step stays in meta.trainer
    if (!g.optimizer) return;
    if (!noBuffers) {
      expect(ckpt.optimizer!.step).toBe(g.optimizer.step);
      expect(Object.keys(ckpt.optimizer!.buffers).sort()).toEqual(Object.keys(g.optimizer.buffers).sort());
    }
    const resumed = typedOutcome(() => checkpointToTrainState(ckpt, SOURCE), [CheckpointError], SOURCE);
    if (!resumed.ok) {
      // The one refusal a valid file can get: an optimizer that has stepped but stored no buffers.
      expect(noBuffers && g.optimizer.step > 0 && g.meta.trainer!.variables.length > 0).toBe(true);
      return;
    }
    expect(Object.keys(resumed.value.variables).sort()).toEqual([...g.meta.trainer!.variables].sort());
    for (const [name, v] of Object.entries(resumed.value.variables)) expect(v.values).toEqual(g.state.get(name)!.data);
    expect(resumed.value.step).toBe(g.meta.trainer!.step);
    expect(resumed.value.optimizer.step).toBe(g.optimizer.step);
  });

  test.prop([checkpointArb, fc.array(jsonMutation, { minLength: 1, maxLength: 3 })], fuzzParams())(
    "maskau metadata with fields replaced, deleted or added: well-formed metadata or a CheckpointError",
    (g, mutations) => decodeUntrusted(withMetaText(g, jsonText(mutateJson(fullMeta(g), mutations, 5)))),
  );

  test.prop([checkpointArb, fc.oneof(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"))], fuzzParams(0.5))(
    "maskau metadata that is any text or any JSON value",
    (g, metaText) => decodeUntrusted(withMetaText(g, metaText)),
  );

  test.prop([checkpointArb, fc.array(byteMutation, { minLength: 1, maxLength: 3 })], fuzzParams(0.5))(
    "checkpoint bytes flipped, truncated, inserted or deleted",
    (g, mutations) => decodeUntrusted(mutateBytes(encodeCheckpoint(g.state, g.meta, g.optimizer), mutations)),
  );
});
