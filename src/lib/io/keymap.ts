// Checkpoint key maps: bring tensors named by other code bases to the official names
// that the models look up (facebookresearch/mae for the MAE, the ME-GraphAU repo for
// the detector).
//   * DataParallel: every key carries a leading "module." -> stripped.
//   * Hugging Face ViTMAE (transformers' ViTMAEForPreTraining / ViTMAEModel): separate
//     query/key/value projections -> one concatenated qkv (rows q, then k, then v, as
//     timm's Attention splits them), and renamed modules:
//       vit.embeddings.cls_token                      -> cls_token
//       vit.embeddings.position_embeddings            -> pos_embed
//       vit.embeddings.patch_embeddings.projection.*  -> patch_embed.proj.*
//       vit.encoder.layer.{i}.attention.attention.{query,key,value}.* -> blocks.{i}.attn.qkv.*
//       vit.encoder.layer.{i}.attention.output.dense.* -> blocks.{i}.attn.proj.*
//       vit.encoder.layer.{i}.layernorm_before/after.* -> blocks.{i}.norm1/norm2.*
//       vit.encoder.layer.{i}.intermediate.dense.*     -> blocks.{i}.mlp.fc1.*
//       vit.encoder.layer.{i}.output.dense.*           -> blocks.{i}.mlp.fc2.*
//       vit.layernorm.*                                -> norm.*
//       decoder.mask_token / decoder_pos_embed / decoder_embed.* / decoder_norm.* / decoder_pred.*
//                                                      -> the same names without "decoder."
//       decoder.decoder_layers.{i}.<as encoder layers> -> decoder_blocks.{i}.<as blocks>
//     ViTMAEModel (encoder only) has the same names without the "vit." prefix.

/** Anything with a shape and flat row-major data. */
export interface KeyedTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

export type NamingScheme = "mae-official" | "mae-hf" | "unknown";

export interface SchemeInfo {
  scheme: NamingScheme;
  /** Every key starts with "module." (saved from DataParallel / DistributedDataParallel). */
  modulePrefix: boolean;
}

export class KeyMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyMapError";
  }
}

const MODULE = "module.";

/** Strips a leading "module." from every key that has one (DataParallel checkpoints). */
export function stripModulePrefix<T>(tensors: Map<string, T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const [name, t] of tensors) {
    const stripped = name.startsWith(MODULE) ? name.slice(MODULE.length) : name;
    if (out.has(stripped)) throw new KeyMapError(`both "${stripped}" and "${MODULE}${stripped}" are present`);
    out.set(stripped, t);
  }
  return out;
}

const HF_MARKERS = [
  /^(vit\.)?embeddings\.(cls_token|position_embeddings|patch_embeddings\.)/,
  /^(vit\.)?encoder\.layer\.\d+\./,
  /^decoder\.decoder_(layers|embed|pred|norm)/,
];
const OFFICIAL_MARKERS = [/^(cls_token|pos_embed|mask_token|decoder_pos_embed)$/, /^patch_embed\.proj\./, /^(decoder_)?blocks\.\d+\.(attn|mlp|norm[12])\./];

/** Which naming scheme a tensor map uses (after an optional "module." prefix). */
export function detectScheme(names: Iterable<string>): SchemeInfo {
  const list = [...names];
  const modulePrefix = list.length > 0 && list.every((n) => n.startsWith(MODULE));
  const bare = modulePrefix ? list.map((n) => n.slice(MODULE.length)) : list;
  const hf = bare.filter((n) => HF_MARKERS.some((r) => r.test(n))).length;
  const official = bare.filter((n) => OFFICIAL_MARKERS.some((r) => r.test(n))).length;
  const scheme: NamingScheme = hf === 0 && official === 0 ? "unknown" : hf > official ? "mae-hf" : "mae-official";
  return { scheme, modulePrefix };
}

/** Renames of the non-attention parts of one transformer layer (HF -> official). */
const LAYER_RENAMES: [string, string][] = [
  ["attention.output.dense.", "attn.proj."],
  ["layernorm_before.", "norm1."],
  ["layernorm_after.", "norm2."],
  ["intermediate.dense.", "mlp.fc1."],
  ["output.dense.", "mlp.fc2."],
];

const TOP_RENAMES: Record<string, string> = {
  "embeddings.cls_token": "cls_token",
  "embeddings.position_embeddings": "pos_embed",
  "decoder.mask_token": "mask_token",
  "decoder.decoder_pos_embed": "decoder_pos_embed",
};

/** Official name of one HF key that is not a query/key/value tensor; null if unknown. */
function hfName(key: string): string | null {
  const name = key.startsWith("vit.") ? key.slice(4) : key;
  if (name in TOP_RENAMES) return TOP_RENAMES[name];
  let m = /^embeddings\.patch_embeddings\.projection\.(weight|bias)$/.exec(name);
  if (m) return `patch_embed.proj.${m[1]}`;
  m = /^layernorm\.(weight|bias)$/.exec(name);
  if (m) return `norm.${m[1]}`;
  m = /^decoder\.decoder_(embed|norm|pred)\.(weight|bias)$/.exec(name);
  if (m) return `decoder_${m[1]}.${m[2]}`;
  m = /^(encoder\.layer|decoder\.decoder_layers)\.(\d+)\.(.+)$/.exec(name);
  if (m) {
    const block = m[1] === "encoder.layer" ? "blocks" : "decoder_blocks";
    for (const [from, to] of LAYER_RENAMES) {
      if (m[3].startsWith(from) && /^(weight|bias)$/.test(m[3].slice(from.length))) return `${block}.${m[2]}.${to}${m[3].slice(from.length)}`;
    }
  }
  return null;
}

const QKV = /^(?:vit\.)?(encoder\.layer|decoder\.decoder_layers)\.(\d+)\.attention\.attention\.(query|key|value)\.(weight|bias)$/;

export interface ConversionResult<T extends KeyedTensor> {
  tensors: Map<string, T>;
  /** Scheme of the input. */
  from: SchemeInfo;
  /** Input keys that had no official counterpart; kept under their original name so a strict load reports them. */
  unmapped: string[];
}

function concatRows<T extends KeyedTensor>(parts: T[], name: string): T {
  const [first] = parts;
  const rest = first.shape.slice(1).join(",");
  for (const p of parts) {
    if (p.shape.slice(1).join(",") !== rest || p.data.constructor !== first.data.constructor) {
      throw new KeyMapError(`cannot concatenate query/key/value into "${name}": shapes [${parts.map((q) => `[${q.shape}]`).join(", ")}] differ`);
    }
  }
  const total = parts.reduce((a, p) => a + p.data.length, 0);
  const data = new (first.data.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(total);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  const rows = parts.reduce((a, p) => a + p.shape[0], 0);
  return { ...first, shape: [rows, ...first.shape.slice(1)], data } as T;
}

/** Converts a Hugging Face ViTMAE tensor map (optionally "module."-prefixed) to official MAE names. */
export function hfToOfficialMae<T extends KeyedTensor>(input: Map<string, T>): ConversionResult<T> {
  const from = detectScheme(input.keys());
  const tensors = stripModulePrefix(input);
  const out = new Map<string, T>();
  const unmapped: string[] = [];
  const qkv = new Map<string, Partial<Record<"query" | "key" | "value", T>>>();
  const put = (name: string, t: T, origin: string) => {
    if (out.has(name)) throw new KeyMapError(`two keys map to "${name}" (the second is "${origin}")`);
    out.set(name, t);
  };
  for (const [key, t] of tensors) {
    const m = QKV.exec(key);
    if (m) {
      const target = `${m[1] === "encoder.layer" ? "blocks" : "decoder_blocks"}.${m[2]}.attn.qkv.${m[4]}`;
      const entry = qkv.get(target) ?? {};
      entry[m[3] as "query" | "key" | "value"] = t;
      qkv.set(target, entry);
      continue;
    }
    const name = hfName(key);
    if (name === null) {
      unmapped.push(key);
      put(key, t, key);
    } else {
      put(name, t, key);
    }
  }
  for (const [target, parts] of qkv) {
    const lacking = (["query", "key", "value"] as const).filter((p) => !parts[p]);
    if (lacking.length) throw new KeyMapError(`"${target}" needs query, key and value, but ${lacking.join(" and ")} ${lacking.length > 1 ? "are" : "is"} missing`);
    put(target, concatRows([parts.query!, parts.key!, parts.value!], target), target);
  }
  return { tensors: out, from, unmapped };
}

/** Splits rows [0, n) of a tensor into `k` equal parts. */
function splitRows<T extends KeyedTensor>(t: T, k: number, name: string): T[] {
  if (t.shape.length === 0 || t.shape[0] % k !== 0) throw new KeyMapError(`"${name}" of shape [${t.shape}] does not split into ${k} row blocks`);
  const rows = t.shape[0] / k;
  const per = t.data.length / k;
  return Array.from({ length: k }, (_, i) => ({ ...t, shape: [rows, ...t.shape.slice(1)], data: t.data.slice(i * per, (i + 1) * per) }) as T);
}

/** The reverse mapping, official MAE names -> Hugging Face ViTMAEForPreTraining names. */
export function officialMaeToHf<T extends KeyedTensor>(input: Map<string, T>): Map<string, T> {
  const inverse = new Map(Object.entries(TOP_RENAMES).map(([hf, official]) => [official, hf.startsWith("embeddings") ? `vit.${hf}` : hf]));
  const out = new Map<string, T>();
  for (const [name, t] of stripModulePrefix(input)) {
    if (inverse.has(name)) {
      out.set(inverse.get(name)!, t);
      continue;
    }
    let m = /^patch_embed\.proj\.(weight|bias)$/.exec(name);
    if (m) {
      out.set(`vit.embeddings.patch_embeddings.projection.${m[1]}`, t);
      continue;
    }
    m = /^norm\.(weight|bias)$/.exec(name);
    if (m) {
      out.set(`vit.layernorm.${m[1]}`, t);
      continue;
    }
    m = /^decoder_(embed|norm|pred)\.(weight|bias)$/.exec(name);
    if (m) {
      out.set(`decoder.decoder_${m[1]}.${m[2]}`, t);
      continue;
    }
    m = /^(blocks|decoder_blocks)\.(\d+)\.(.+)$/.exec(name);
    if (m) {
      const prefix = `${m[1] === "blocks" ? "vit.encoder.layer" : "decoder.decoder_layers"}.${m[2]}.`;
      const qkv = /^attn\.qkv\.(weight|bias)$/.exec(m[3]);
      if (qkv) {
        const [q, k, v] = splitRows(t, 3, name);
        out.set(`${prefix}attention.attention.query.${qkv[1]}`, q);
        out.set(`${prefix}attention.attention.key.${qkv[1]}`, k);
        out.set(`${prefix}attention.attention.value.${qkv[1]}`, v);
        continue;
      }
      const rename = LAYER_RENAMES.find(([, to]) => m![3].startsWith(to));
      if (rename) {
        out.set(prefix + rename[0] + m[3].slice(rename[1].length), t);
        continue;
      }
    }
    out.set(name, t);
  }
  return out;
}

/**
 * Brings a tensor map to the official names whatever its scheme: strips "module.",
 * converts Hugging Face ViTMAE names; official (or unknown, e.g. ME-GraphAU) names
 * pass through unchanged.
 */
export function toOfficialNames<T extends KeyedTensor>(tensors: Map<string, T>): ConversionResult<T> {
  const from = detectScheme(tensors.keys());
  if (from.scheme === "mae-hf") return hfToOfficialMae(tensors);
  return { tensors: stripModulePrefix(tensors), from, unmapped: [] };
}
