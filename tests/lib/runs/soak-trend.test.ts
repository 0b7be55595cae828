// The page soak's verdict: the least-squares slope per 10 minutes and the growth rule.
import { describe, expect, it } from "vitest";
import { trend, verdict } from "../../../src/lib/runs/soak-trend.js";

const rule = { absolute: 1, relative: 0.01 };

describe("soak trend", () => {
  it("fits the slope per 10 minutes exactly on a line, in any order", () => {
    const points = [0, 60, 120, 180, 240].map((t) => ({ t, v: 100 + t / 30 })); // +2 per minute
    const t = trend([...points].reverse());
    expect(t.slopePer10Min).toBeCloseTo(20, 10);
    expect([t.first, t.last, t.min, t.max, t.median, t.n]).toEqual([100, 108, 100, 108, 104, 5]);
    expect(verdict(t, rule)).toBe("growing");
  });

  it("calls a constant series, noise under the threshold and a fall flat", () => {
    expect(verdict(trend([0, 30, 60, 90].map((t) => ({ t, v: 254 }))), rule)).toBe("flat");
    expect(trend([0, 30, 60, 90].map((t) => ({ t, v: 254 }))).slopePer10Min).toBe(0);
    // 1000 +- 3 around a flat line: well under 1% of 1000 per 10 minutes.
    expect(verdict(trend([0, 60, 120, 180, 240, 300].map((t, i) => ({ t, v: 1000 + (i % 2 ? 3 : -3) }))), rule)).toBe("flat");
    expect(verdict(trend([0, 60, 120].map((t) => ({ t, v: 500 - t }))), rule)).toBe("flat");
  });

  it("needs a rise above both rates and a last sample above the first", () => {
    // +0.5 per 10 minutes: under the absolute rate of 1.
    expect(verdict(trend([0, 600, 1200].map((t) => ({ t, v: 10 + t / 1200 }))), rule)).toBe("flat");
    // A relative rule on a large value: +5 MB per 10 minutes on 1 GB is under 1%.
    expect(verdict(trend([0, 600, 1200].map((t) => ({ t, v: 1e9 + (t / 600) * 5e6 }))), rule)).toBe("flat");
    // A late spike that ends high is growth; one that comes back is not.
    expect(verdict(trend([{ t: 0, v: 10 }, { t: 300, v: 10 }, { t: 600, v: 40 }]), rule)).toBe("growing");
    expect(verdict(trend([{ t: 0, v: 10 }, { t: 300, v: 40 }, { t: 400, v: 40 }, { t: 600, v: 10 }]), rule)).toBe("flat");
    expect(verdict(trend([{ t: 0, v: 1 }, { t: 60, v: 100 }]), rule)).toBe("too few samples");
  });
});
