// scripts/build-wasm.mjs: a kernel written with relaxed SIMD's fused multiply-add also gets a
// plain-SIMD build in which each `(f32x4.relaxed_madd a b c)` is `(f32x4.add c (f32x4.mul a b))`.
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without types
import { assemble, generatedModule, withoutRelaxedMadd } from "../../../scripts/build-wasm.mjs";
import * as gemm from "../../../src/lib/tf/wasm/gemm.wasm.js";
import { fileURLToPath } from "node:url";

const KERNEL = `(module
  (import "env" "memory" (memory 1 1 (;shared;)))
  (func (export "f") (param $p i32) (result v128)
    (f32x4.relaxed_madd (v128.load (local.get $p)) (f32x4.splat (f32.load offset=16 (local.get $p)))
      (f32x4.relaxed_madd (v128.load offset=48 (local.get $p)) (v128.load offset=32 (local.get $p)) (v128.const f32x4 1 2 3 4)))))`;

describe("build-wasm", () => {
  it("rewrites every relaxed_madd, nested ones too, as an add of a product", () => {
    const out: string = withoutRelaxedMadd(KERNEL);
    expect(out).not.toContain("relaxed");
    expect(out).toContain(
      "(f32x4.add (f32x4.add (v128.const f32x4 1 2 3 4) (f32x4.mul (v128.load offset=48 (local.get $p)) (v128.load offset=32 (local.get $p)))) " +
        "(f32x4.mul (v128.load (local.get $p)) (f32x4.splat (f32.load offset=16 (local.get $p)))))",
    );
    expect(withoutRelaxedMadd("(module)")).toBe("(module)");
    expect(() => withoutRelaxedMadd("(f32x4.relaxed_madd (local.get $a) (local.get $b))")).toThrow(/3 operands/);
  });

  it("the plain build of the rewritten kernel validates without relaxed SIMD", async () => {
    const plain = new Uint8Array(await assemble(withoutRelaxedMadd(KERNEL), "k.wat", false));
    expect(WebAssembly.validate(plain)).toBe(true);
    // The relaxed build assembles too (validating it needs the flag lib/tf/node.ts sets).
    await expect(assemble(KERNEL, "k.wat", true)).resolves.toBeInstanceOf(Uint8Array);
  });

  it("ships the matmul kernel in four builds, the generated module up to date", async () => {
    expect(Object.keys(gemm).sort()).toEqual(["plain", "relaxedPlain", "relaxedShared", "shared"]);
    const wat = fileURLToPath(new URL("../../../src/lib/tf/wasm/gemm.wat", import.meta.url));
    const text: string = await generatedModule(wat);
    expect(text).toContain(`export const relaxedShared = "${gemm.relaxedShared}"`);
    expect(text).toContain(`export const plain = "${gemm.plain}"`);
  });
});
