import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { detectScheme, hfToOfficialMae, KeyMapError, officialMaeToHf, stripModulePrefix, toOfficialNames } from "../../../src/lib/io/keymap.js";
import type { TensorData } from "../../../src/lib/models/params.js";
import { fixturePath } from "../../support/shared.js";

/** The official MAE weights of the tiny reference fixture (depth 2, decoder depth 1, D 48, decoder 32). */
function officialWeights(): Map<string, TensorData> {
  const { tensors } = decodeCheckpoint(new Uint8Array(readFileSync(fixturePath("mae_tiny.safetensors"))));
  const sidecar = JSON.parse(readFileSync(fixturePath("mae_tiny.json"), "utf8")) as { tensors: Record<string, { role: string }> };
  return new Map([...tensors].filter(([name]) => sidecar.tensors[name]?.role === "weight"));
}

const rows = (t: TensorData, from: number, to: number): TensorData => {
  const per = t.data.length / t.shape[0];
  return { shape: [to - from, ...t.shape.slice(1)], data: t.data.slice(from * per, to * per) };
};

/** The same weights under Hugging Face ViTMAEForPreTraining names, spelled out by hand. */
function hfWeights(official: Map<string, TensorData>): Map<string, TensorData> {
  const hf = new Map<string, TensorData>();
  const o = (name: string) => official.get(name)!;
  hf.set("vit.embeddings.cls_token", o("cls_token"));
  hf.set("vit.embeddings.position_embeddings", o("pos_embed"));
  hf.set("vit.embeddings.patch_embeddings.projection.weight", o("patch_embed.proj.weight"));
  hf.set("vit.embeddings.patch_embeddings.projection.bias", o("patch_embed.proj.bias"));
  const layer = (hfPrefix: string, prefix: string, dim: number) => {
    for (const p of ["weight", "bias"]) {
      const qkv = o(`${prefix}.attn.qkv.${p}`);
      hf.set(`${hfPrefix}.attention.attention.query.${p}`, rows(qkv, 0, dim));
      hf.set(`${hfPrefix}.attention.attention.key.${p}`, rows(qkv, dim, 2 * dim));
      hf.set(`${hfPrefix}.attention.attention.value.${p}`, rows(qkv, 2 * dim, 3 * dim));
      hf.set(`${hfPrefix}.attention.output.dense.${p}`, o(`${prefix}.attn.proj.${p}`));
      hf.set(`${hfPrefix}.layernorm_before.${p}`, o(`${prefix}.norm1.${p}`));
      hf.set(`${hfPrefix}.layernorm_after.${p}`, o(`${prefix}.norm2.${p}`));
      hf.set(`${hfPrefix}.intermediate.dense.${p}`, o(`${prefix}.mlp.fc1.${p}`));
      hf.set(`${hfPrefix}.output.dense.${p}`, o(`${prefix}.mlp.fc2.${p}`));
    }
  };
  layer("vit.encoder.layer.0", "blocks.0", 48);
  layer("vit.encoder.layer.1", "blocks.1", 48);
  for (const p of ["weight", "bias"]) hf.set(`vit.layernorm.${p}`, o(`norm.${p}`));
  hf.set("decoder.mask_token", o("mask_token"));
  hf.set("decoder.decoder_pos_embed", o("decoder_pos_embed"));
  for (const p of ["weight", "bias"]) {
    hf.set(`decoder.decoder_embed.${p}`, o(`decoder_embed.${p}`));
    hf.set(`decoder.decoder_norm.${p}`, o(`decoder_norm.${p}`));
    hf.set(`decoder.decoder_pred.${p}`, o(`decoder_pred.${p}`));
  }
  layer("decoder.decoder_layers.0", "decoder_blocks.0", 32);
  return hf;
}

describe("checkpoint key maps", () => {
  it("detects the naming scheme and a DataParallel prefix", () => {
    const official = officialWeights();
    expect(official.size).toBe(50);
    expect(detectScheme(official.keys())).toEqual({ scheme: "mae-official", modulePrefix: false });
    expect(detectScheme(hfWeights(official).keys())).toEqual({ scheme: "mae-hf", modulePrefix: false });
    expect(detectScheme([...official.keys()].map((k) => `module.${k}`))).toEqual({ scheme: "mae-official", modulePrefix: true });
    expect(detectScheme(["head.gnn.A", "global_linear.linear.weight"])).toEqual({ scheme: "unknown", modulePrefix: false });
  });

  it("converts Hugging Face ViTMAE names to the official ones, concatenating q, k, v", () => {
    const official = officialWeights();
    const { tensors, from, unmapped } = hfToOfficialMae(hfWeights(official));
    expect(from.scheme).toBe("mae-hf");
    expect(unmapped).toEqual([]);
    expect([...tensors.keys()].sort()).toEqual([...official.keys()].sort());
    for (const [name, t] of official) {
      expect(tensors.get(name)!.shape, name).toEqual(t.shape);
      expect(tensors.get(name)!.data, name).toEqual(t.data);
    }
    expect(tensors.get("blocks.1.attn.qkv.weight")!.shape).toEqual([144, 48]);
    expect(tensors.get("decoder_blocks.0.attn.qkv.bias")!.shape).toEqual([96]);
  });

  it("handles module. prefixes, encoder-only names and the reverse direction", () => {
    const official = officialWeights();
    const hf = officialMaeToHf(official);
    expect([...hf.keys()].sort()).toEqual([...hfWeights(official).keys()].sort());
    const prefixed = new Map([...hf].map(([k, v]) => [`module.${k}`, v]));
    const { tensors, from } = toOfficialNames(prefixed);
    expect(from).toEqual({ scheme: "mae-hf", modulePrefix: true });
    expect([...tensors.keys()].sort()).toEqual([...official.keys()].sort());
    // ViTMAEModel (no "vit." prefix, no decoder).
    const bare = new Map([...hf].filter(([k]) => k.startsWith("vit.")).map(([k, v]) => [k.slice(4), v]));
    const enc = hfToOfficialMae(bare).tensors;
    expect([...enc.keys()].sort()).toEqual([...official.keys()].filter((k) => !k.startsWith("decoder") && k !== "mask_token").sort());
    // Official names pass through (minus module.).
    const off = toOfficialNames(new Map([...official].map(([k, v]) => [`module.${k}`, v])));
    expect([...off.tensors.keys()]).toEqual([...official.keys()]);
  });

  it("keeps unknown keys under their names and reports incomplete q/k/v", () => {
    const hf = officialMaeToHf(officialWeights());
    hf.set("vit.pooler.dense.weight", { shape: [1], data: new Float32Array(1) });
    const { tensors, unmapped } = hfToOfficialMae(hf);
    expect(unmapped).toEqual(["vit.pooler.dense.weight"]);
    expect(tensors.has("vit.pooler.dense.weight")).toBe(true);
    hf.delete("vit.encoder.layer.1.attention.attention.key.bias");
    expect(() => hfToOfficialMae(hf)).toThrow(KeyMapError);
    expect(() => hfToOfficialMae(hf)).toThrow(/"blocks\.1\.attn\.qkv\.bias" needs query, key and value, but key is missing/);
  });

  it("strips module. and refuses duplicates", () => {
    const t = { shape: [1], data: new Float32Array(1) };
    expect([...stripModulePrefix(new Map([["module.head.sc", t], ["global_linear.w", t]])).keys()]).toEqual(["head.sc", "global_linear.w"]);
    expect(() => stripModulePrefix(new Map([["module.a", t], ["a", t]]))).toThrow(/both "a" and "module\.a"/);
  });
});
