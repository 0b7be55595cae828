// Mutations of valid inputs for the fuzz tests: byte edits (flip, overwrite, truncate,
// insert, delete), edits of a JSON document's fields (replace with a hostile value, delete,
// add), and character edits of text. Positions are drawn as naturals and taken modulo the
// input's length, so one mutation applies to inputs of any size.
import { fc } from "@fast-check/vitest";

export type ByteMutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; count: number };

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
);

/** A copy of `bytes` with the mutations applied in order. */
export function mutateBytes(bytes: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let out = bytes.slice();
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    switch (m.kind) {
      case "flip":
        if (out.length) out[at % out.length] ^= 1 << m.bit;
        break;
      case "set":
        if (out.length) out[at % out.length] = m.value;
        break;
      case "truncate":
        out = out.slice(0, at);
        break;
      case "insert": {
        const next = new Uint8Array(out.length + m.bytes.length);
        next.set(out.subarray(0, at));
        next.set(m.bytes, at);
        next.set(out.subarray(at), at + m.bytes.length);
        out = next;
        break;
      }
      case "delete": {
        const removed = Math.min(m.count, out.length - at);
        const next = new Uint8Array(out.length - removed);
        next.set(out.subarray(0, at));
        next.set(out.subarray(at + removed), at);
        out = next;
        break;
      }
    }
  }
  return out;
}

/** JSON values that tend to break readers: huge, negative, fractional, wrong type, prototype names, deep nesting. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      2 ** 40,
      2 ** 53,
      2 ** 53 + 2,
      2 ** 64,
      -1,
      -0,
      1.5,
      1e308,
      0,
      "",
      "F32",
      "I64",
      "toString",
      "constructor",
      "__proto__",
      "hasOwnProperty",
      [],
      {},
      null,
      true,
      [0],
      [1, 2, 3],
      [2 ** 40],
      [0, 2 ** 40],
      [2 ** 62, 2 ** 62],
      { atol: "x", rtol: -1 },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(10, 1000, 20_000).map(deepArray) },
  { weight: 2, arbitrary: fc.integer() },
);

/**
 * [[[...]]] nested `depth` times, as a marker that jsonText writes out as raw text (a
 * recursive stringify, comparison or walk over it overflows the stack).
 */
export function deepArray(depth: number): string {
  return `\u0000DEEP:${depth}\u0000`;
}

/** JSON.stringify, with deepArray markers written as the nested arrays they stand for. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000DEEP:(\d+)\\u0000"/g, (_, n: string) => "[".repeat(Number(n)) + "]".repeat(Number(n)));
}

export type JsonMutation =
  | { kind: "set"; pick: number; value: unknown }
  | { kind: "delete"; pick: number }
  | { kind: "add"; pick: number; key: string; value: unknown };

export const jsonKey = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom("__proto__", "constructor", "toString", "__metadata__", "dtype", "shape", "data_offsets", "kind", "tensors", "role", "tolerance"),
);

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("set" as const), pick: fc.nat(), value: hostileJson }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("add" as const), pick: fc.nat(), key: jsonKey, value: hostileJson }) },
);

type Container = Record<string, unknown> | unknown[];

/** Every container in a JSON value with the keys it holds, depth first, to `maxDepth`. */
function slots(root: unknown, maxDepth: number): { parent: Container; key: string | number }[] {
  const out: { parent: Container; key: string | number }[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > maxDepth || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i });
        walk(x, depth + 1);
      });
    } else {
      for (const k of Object.keys(v)) {
        out.push({ parent: v as Record<string, unknown>, key: k });
        walk((v as Record<string, unknown>)[k], depth + 1);
      }
    }
  };
  walk(root, 0);
  return out;
}

function setOwn(target: Container, key: string | number, shared: unknown): void {
  // A copy: generated constants ({}, []) are shared between cases and must not be edited.
  const value = structuredClone(shared);
  // defineProperty so that "__proto__" becomes an own key, as JSON.parse makes it.
  if (Array.isArray(target)) target[key as number] = value;
  else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy of `doc` (a parsed JSON object) with the mutations applied. */
export function mutateJson(doc: unknown, mutations: readonly JsonMutation[], maxDepth = 4): unknown {
  const root = JSON.parse(JSON.stringify(doc)) as unknown;
  for (const m of mutations) {
    const all = slots(root, maxDepth);
    if (m.kind === "add") {
      const containers = [root, ...all.map((s) => (s.parent as Record<string, unknown>)[s.key as string])].filter(
        (c): c is Record<string, unknown> => c !== null && typeof c === "object" && !Array.isArray(c),
      );
      if (containers.length) setOwn(containers[m.pick % containers.length], m.key, m.value);
      continue;
    }
    if (!all.length) continue;
    const { parent, key } = all[m.pick % all.length];
    if (m.kind === "set") setOwn(parent, key, m.value);
    else if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  }
  return root;
}

export type TextMutation =
  | { kind: "replace"; at: number; text: string }
  | { kind: "insert"; at: number; text: string }
  | { kind: "delete"; at: number; count: number };

const textPiece = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom(",", '"', "\n", "\r\n", "\r", " ", "\t", "\uFEFF", "\u0000", "-1", "2", "1e9", "NaN", "0x1", "", "/", "..", "../x"),
);

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), text: textPiece }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: textPiece }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 12 }) }),
);

/** `text` with the mutations applied (replace overwrites one character). */
export function mutateText(text: string, mutations: readonly TextMutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    if (m.kind === "replace") out = out.slice(0, at) + m.text + out.slice(at + 1);
    else if (m.kind === "insert") out = out.slice(0, at) + m.text + out.slice(at);
    else out = out.slice(0, at) + out.slice(at + m.count);
  }
  return out;
}
