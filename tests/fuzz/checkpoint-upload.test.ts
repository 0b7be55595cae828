// Fuzzing the Evaluation page's checkpoint slots (src/lib/io/checkpoint-upload.ts,
// src/lib/eval/slot-checkpoint.ts): the shipped clean detector and a student with their
// headers' bytes mutated (flipped, overwritten, cut, inserted, deleted) are either read or
// refused with a SafetensorsError or CheckpointError naming the file, and the check reads
// nothing past the header it was given; their `maskau` metadata with fields replaced by
// hostile values (huge, negative, deep, wrong types) either loads into a slot or is
// refused the same way, quickly, with nothing built from a config that claims more than
// the file holds.
import { readFileSync } from "node:fs";
import { fc, test } from "@fast-check/vitest";
import { beforeAll, describe, expect } from "vitest";
import { CheckpointError, META_KEY } from "../../src/lib/io/checkpoint.js";
import { readUploadHeader, type ByteSource } from "../../src/lib/io/checkpoint-upload.js";
import { readSafetensors, SafetensorsError, writeSafetensors, type TensorToWrite } from "../../src/lib/io/safetensors.js";
import { loadSlotCheckpoint, type ModelSlot, type SlotFaces } from "../../src/lib/eval/slot-checkpoint.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { byteMutation, jsonMutation, mutateBytes, mutateJson } from "./support/mutate.js";
import { FUZZ_LABEL, fuzzParams, typedOutcomeAsync } from "./support/settings.js";

const NAME = "fuzz-upload.safetensors";
const QUOTED = `“${NAME}”`;
const ERRORS = [SafetensorsError, CheckpointError];
const FACES: SlotFaces = { imgSize: 64, aus: [1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24], preset: "bp4d" };

const FILES = ["detector-tiny-clean.safetensors", "student-tiny-random0.5.safetensors"].map((f) => new Uint8Array(readFileSync(`src/checkpoints/${f}`)));
const headerEnd = (bytes: Uint8Array) => 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));

/** `bytes` as a file read in parts, recording each range read. */
function source(bytes: Uint8Array): ByteSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return { name: NAME, size: bytes.length, reads, read: async (a, b) => (reads.push([a, b]), bytes.slice(a, b)) };
}

/** The file with its tensors kept and its `maskau` metadata replaced by `meta`'s JSON. */
function withMeta(bytes: Uint8Array, meta: unknown): Uint8Array {
  const file = readSafetensors(bytes, "base");
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, t] of file.tensors) tensors.set(name, { dtype: t.dtype === "I64" ? "I64" : t.data instanceof Float32Array ? "F32" : "I32", shape: t.shape, data: t.data });
  return writeSafetensors(tensors, { ...file.metadata, [META_KEY]: JSON.stringify(meta) ?? "null" });
}

beforeAll(async () => {
  await initNodeBackend("cpu");
});

describe(`checkpoint upload fuzzing (${FUZZ_LABEL})`, () => {
  test.prop([fc.nat(FILES.length - 1), fc.array(byteMutation, { minLength: 1, maxLength: 4 })], fuzzParams(0.5))(
    "a header with bytes mutated is read or refused with a typed error naming the file, reading nothing past the header",
    async (k, mutations) => {
      const whole = FILES[k];
      const end = headerEnd(whole);
      // The mutations fall in the header (positions modulo its length); the tensors follow unchanged.
      const header = mutateBytes(whole.subarray(0, end), mutations);
      const bytes = new Uint8Array(header.length + whole.length - end);
      bytes.set(header);
      bytes.set(whole.subarray(end), header.length);
      const s = source(bytes);
      const outcome = await typedOutcomeAsync(() => readUploadHeader(s), ERRORS, QUOTED);
      const claimed = bytes.length >= 8 ? headerEnd(bytes) : 0;
      for (const [, b] of s.reads) expect(b, "reads stop at the first 512 bytes or the header").toBeLessThanOrEqual(Math.max(512, claimed));
      if (outcome.ok) expect(outcome.value.meta.format).toBe("maskau-checkpoint");
    },
  );

  test.prop([fc.nat(FILES.length - 1), fc.constantFrom<ModelSlot>("teacher", "student"), fc.array(jsonMutation, { minLength: 1, maxLength: 3 })], fuzzParams(0.1))(
    "hostile metadata loads into a slot or is refused with a typed error naming the file",
    async (k, slot, mutations) => {
      const meta = JSON.parse(readSafetensors(FILES[k], "base").metadata[META_KEY]);
      const bytes = withMeta(FILES[k], mutateJson(meta, mutations));
      const outcome = await typedOutcomeAsync(() => loadSlotCheckpoint(source(bytes), slot, FACES), ERRORS, QUOTED);
      if (outcome.ok) {
        expect(outcome.value.detector.config.numClasses).toBe(12);
        outcome.value.detector.dispose();
      }
    },
  );
});
