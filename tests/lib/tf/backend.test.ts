import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { backendLabel, initBackend } from "../../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

describe("backend selection", () => {
  it("defaults to wasm in Node and computes there", async () => {
    const info = await initNodeBackend();
    expect(info.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
  });

  it("runs cpu on request", async () => {
    expect((await initNodeBackend("cpu")).name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("runs webgpu through Dawn and names the adapter", async () => {
    const info = await initNodeBackend("webgpu");
    expect(info.name).toBe("webgpu");
    expect(info.adapter).toMatch(/\S/);
    expect(backendLabel(info)).toBe(`webgpu · ${info.adapter}`);
    // SwiftShader (MASKAU_WEBGPU=swiftshader, no GPU) is a software adapter; a GPU is not.
    expect(info.software).toBe(/swiftshader/i.test(info.adapter ?? ""));
    const s = tf.sum(tf.tensor1d([1, 2, 3, 4]));
    expect((await s.data())[0]).toBe(10);
    s.dispose();
  });

  it("falls back along the preference order and records why", async () => {
    // webgl is registered but cannot start in Node: the next choice runs.
    const info = await initBackend(["webgl", "cpu"]);
    expect(info.name).toBe("cpu");
    expect(info.fallbacks.map((f) => f.name)).toEqual(["webgl"]);
  });

  it("rejects unknown backends and webgl in Node with a message that names the choices", async () => {
    await expect(initBackend(["tpu" as never])).rejects.toThrow(/unknown backend "tpu": choose one of webgpu, webgl, wasm, cpu/);
    await expect(initNodeBackend("webgl")).rejects.toThrow(/needs a browser/);
  });
});
