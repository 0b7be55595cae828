// One settings schema for every page: defaults, ranges, whole numbers, choices and URL
// keys, read from a query, written back and read again to the same settings.
import { describe, expect, it } from "vitest";
import { settingsSchema } from "../../src/lib/settings-schema.js";

type S = { preset: "tiny" | "small"; steps: number; lr: number; maskRatio: number };
const schema = settingsSchema<S>(
  { preset: "tiny", steps: 100, lr: 1e-3, maskRatio: 0.75 },
  {
    preset: { choices: ["tiny", "small"], label: "MAE preset" },
    steps: { range: [1, 1000], integer: true },
    lr: { range: [1e-6, 0.1] },
    maskRatio: { range: [0.05, 0.95], query: "mask" },
  },
);

/** The query string of settings, as a page writes it into its URL. */
function search(s: S): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(schema.query(s))) if (v !== null) q.set(k, v);
  return `?${q}`;
}

describe("settings schema", () => {
  it("round-trips settings through the URL, leaving defaults out", () => {
    const s: S = { preset: "small", steps: 7, lr: 0.0025, maskRatio: 0.5 };
    expect(search(s)).toBe("?preset=small&steps=7&lr=0.0025&mask=0.5");
    expect(schema.read(search(s))).toEqual(s);
    expect(schema.query(schema.defaults)).toEqual({ preset: null, steps: null, lr: null, mask: null });
    expect(schema.read(search(schema.defaults))).toEqual(schema.defaults);
    for (const steps of [1, 2, 999, 1000]) expect(schema.read(search({ ...s, steps })).steps).toBe(steps);
  });

  it("clamps to the ranges, rounds whole numbers, and takes the default for what it cannot read", () => {
    expect(schema.read("?steps=2.6&lr=5&mask=0")).toEqual({ preset: "tiny", steps: 3, lr: 0.1, maskRatio: 0.05 });
    expect(schema.read("?steps=-4&preset=huge&lr=abc&mask=")).toEqual({ ...schema.defaults, steps: 1 });
    // Keys that are not settings (the backend, another view's state) are left alone.
    expect(schema.read("?backend=wasm&occ=block:0.3")).toEqual(schema.defaults);
  });

  it("normalize fills in defaults and throws with the field's name on a bad value", () => {
    expect(schema.normalize({ steps: 12.2 })).toEqual({ ...schema.defaults, steps: 12 });
    expect(() => schema.normalize({ steps: Number.NaN })).toThrow("steps must be a number, got NaN");
    expect(() => schema.normalize({ preset: "base" as S["preset"] })).toThrow('unknown MAE preset "base": choose tiny, small');
  });

  it("exposes the number fields' limits and the query keys; compares settings", () => {
    expect(schema.limits).toEqual({ steps: [1, 1000], lr: [1e-6, 0.1], maskRatio: [0.05, 0.95] });
    expect(schema.queryKeys).toEqual({ preset: "preset", steps: "steps", lr: "lr", maskRatio: "mask" });
    expect(schema.same(schema.defaults, { ...schema.defaults })).toBe(true);
    expect(schema.same(schema.defaults, { ...schema.defaults, lr: 0.002 })).toBe(false);
  });

  it("refuses a schema that leaves a setting without a field", () => {
    expect(() => settingsSchema<{ a: number; b: number }>({ a: 1, b: 2 }, { a: { range: [0, 1] } } as never)).toThrow('no field for "b"');
  });
});
