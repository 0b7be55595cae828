// The generator's calibrated AU offsets are written in the source (CALIBRATED_OFFSETS) so
// that no page or command spends a third of a second simulating them: they must be
// exactly what the reference simulation gives.
import { describe, expect, it } from "vitest";
import { CALIBRATED_OFFSETS, calibrateOffsets, simulateCalibrationOffsets } from "../../../src/lib/data/expression.js";
import { PRESETS, type PresetName } from "../../../src/lib/data/aus.js";

describe("calibrated offsets", () => {
  for (const preset of Object.keys(PRESETS) as PresetName[]) {
    it(`${preset}: the written offsets are the reference simulation's, bit for bit`, () => {
      const simulated = Array.from(simulateCalibrationOffsets(preset));
      // On a mismatch, this is the line to paste into CALIBRATED_OFFSETS.
      expect(Array.from(CALIBRATED_OFFSETS[preset]), JSON.stringify(simulated)).toEqual(simulated);
      expect(Array.from(calibrateOffsets(preset))).toEqual(simulated);
    });
  }

  it("hands out copies, so a caller cannot change the generator's offsets", () => {
    const a = calibrateOffsets("bp4d");
    a[0] = 99;
    expect(calibrateOffsets("bp4d")[0]).toBe(CALIBRATED_OFFSETS.bp4d[0]);
  });
});
