// The shared option parsers that take lists: --fill of reproduce fig3 names each fill once.
import { describe, expect, it } from "vitest";
import { fillsArg } from "../../cli/options.js";

describe("fillsArg", () => {
  it("reads a comma list of fills in the order given", () => {
    expect(fillsArg("gray")).toEqual(["gray"]);
    expect(fillsArg("black, gray,hand")).toEqual(["black", "gray", "hand"]);
  });

  it("refuses an unknown fill, a fill named twice and an empty list, naming the choices", () => {
    expect(() => fillsArg("gray,pink")).toThrow(/choose one of black, gray, noise, mean, hand, sunglasses/);
    expect(() => fillsArg("gray,gray")).toThrow(/named twice/);
    expect(() => fillsArg(" , ")).toThrow(/name at least one of/);
  });
});
