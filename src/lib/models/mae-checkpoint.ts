// A ready MAE from checkpoint bytes: MaskAU checkpoints carry their config in the
// metadata; official weights (converted to safetensors, possibly Hugging Face names or
// a DataParallel "module." prefix) need the config given.
import type { MaeConfig } from "../config.js";
import { MAE_DEFAULTS, validateMaeConfig } from "../config.js";
import { decodeCheckpoint, type CheckpointMeta } from "../io/checkpoint.js";
import { toOfficialNames } from "../io/keymap.js";
import { createMae, type Mae } from "./mae.js";

export interface LoadedMae {
  mae: Mae;
  meta: CheckpointMeta | null;
}

/** The MaeConfig stored in a MaskAU checkpoint's metadata. */
export function maeConfigFromMeta(meta: CheckpointMeta, source: string): MaeConfig {
  if (meta.model !== "mae") throw new Error(`${source} holds a "${meta.model}" model, not an MAE`);
  const config = { ...MAE_DEFAULTS } as MaeConfig;
  for (const key of Object.keys(MAE_DEFAULTS) as (keyof MaeConfig)[]) {
    if (!(key in meta.config)) throw new Error(`${source}: the checkpoint's config lacks "${key}"`);
    (config as unknown as Record<string, unknown>)[key] = meta.config[key];
  }
  validateMaeConfig(config);
  return config;
}

export function loadMae(bytes: Uint8Array, { source = "checkpoint", config }: { source?: string; config?: MaeConfig } = {}): LoadedMae {
  const ckpt = decodeCheckpoint(bytes, source);
  const cfg = config ?? (ckpt.meta ? maeConfigFromMeta(ckpt.meta, source) : null);
  if (!cfg) throw new Error(`${source} has no MaskAU metadata: pass the model config (e.g. the base preset for official ViT-B/16 weights)`);
  const { tensors } = toOfficialNames(ckpt.tensors);
  const mae = createMae(cfg);
  try {
    mae.params.load(tensors, { source });
  } catch (e) {
    mae.dispose();
    throw e;
  }
  return { mae, meta: ckpt.meta };
}
