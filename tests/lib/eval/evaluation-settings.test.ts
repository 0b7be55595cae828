// The Evaluation page's settings: read from the URL with defaults for what is missing or
// unreadable, written back without the defaults, and checked.
import { describe, expect, it } from "vitest";
import { EVALUATION_SETTINGS } from "../../../src/lib/eval/evaluation-settings.js";

describe("EVALUATION_SETTINGS", () => {
  it("round-trips a view through the query string, leaving defaults out", () => {
    const view = EVALUATION_SETTINGS.normalize({ teacher: "block:0.3", student: "browser", type: "region", fill: "noise", sweepFaces: 8, features: "tokens", au: "4", colour: "ratio", method: "umap", mapFrames: 3, seed: 7, clean: "on", face: 12, sweep: "run", protocol: "disfa" });
    const query = EVALUATION_SETTINGS.query(view);
    expect(query).toMatchObject({ faces: "8", frames: "3", face: "12", sweep: "run", student: "browser" });
    const search = "?" + new URLSearchParams(Object.entries(query).filter(([, v]) => v !== null) as [string, string][]).toString();
    expect(EVALUATION_SETTINGS.read(search)).toEqual(view);
    expect(Object.values(EVALUATION_SETTINGS.query(EVALUATION_SETTINGS.defaults)).every((v) => v === null)).toBe(true);
  });

  it("falls back to the defaults for unknown choices and clamps numbers", () => {
    const s = EVALUATION_SETTINGS.read("?teacher=none&au=3&faces=100000&frames=0&face=-5");
    expect(s.teacher).toBe("random:0.5");
    expect(s.au).toBe("12");
    expect(s.sweepFaces).toBe(400);
    expect(s.mapFrames).toBe(1);
    expect(s.face).toBe(-1);
    expect(() => EVALUATION_SETTINGS.normalize({ colour: "red" as never })).toThrow(/colour/);
  });
});
