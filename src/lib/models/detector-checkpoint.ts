// Loading an AU detector from checkpoint bytes (pages and tests; the CLI rebuilds any
// checkpoint with loadCheckpointModel in registry.ts): the config comes from the metadata.
import { decodeCheckpoint, type CheckpointMeta } from "../io/checkpoint.js";
import { createDetector, detectorConfigFromMeta, type Detector } from "./detector.js";

export interface LoadedDetector {
  detector: Detector;
  meta: CheckpointMeta;
}

export function loadDetector(bytes: Uint8Array, { source = "checkpoint" }: { source?: string } = {}): LoadedDetector {
  const ckpt = decodeCheckpoint(bytes, source);
  if (!ckpt.meta) throw new Error(`${source} has no MaskAU metadata: it does not say which detector it holds`);
  const detector = createDetector(detectorConfigFromMeta(ckpt.meta, source));
  try {
    detector.load(ckpt.tensors, { source });
  } catch (e) {
    detector.dispose();
    throw e;
  }
  return { detector, meta: ckpt.meta };
}
