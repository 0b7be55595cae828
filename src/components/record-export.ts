// The run record of a run trained in this browser, as a download: the checkpoint's
// metadata (lib/records/record.ts, the same builder the CLI uses), its SHA-256 (Web
// Crypto) and the browser's environment. Dropped into src/data/records/ it gets a report
// page on the next build (README, "Reports").
import { version_core } from "@tensorflow/tfjs-core";
import { decodeCheckpoint } from "../lib/io/checkpoint.js";
import { checkRecord } from "../lib/records/check.js";
import { recordFromCheckpoint, recordIdOf, type RunEnvironment, type RunRecord } from "../lib/records/record.js";
import { backendLabel, currentBackend } from "../lib/tf/backend.js";
import { downloadBlob } from "./download.js";

/** Hex SHA-256 of bytes. Web Crypto exists only in secure contexts (https, localhost). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!globalThis.crypto?.subtle) throw new Error("this page cannot hash files: Web Crypto needs a secure context (https:// or localhost)");
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** This page's environment: the tfjs version and backend; a page knows no commit and no Node. */
export function browserEnvironment(): RunEnvironment {
  return {
    scope: "training",
    packages: { "@tensorflow/tfjs-core": version_core },
    commit: null,
    dirty: null,
    backend: backendLabel(currentBackend()),
    node: null,
    platform: navigator.userAgent,
  };
}

/** The record of checkpoint bytes trained here, whose download is named `checkpointName`. */
export async function browserRecord(bytes: Uint8Array, checkpointName: string): Promise<RunRecord> {
  const { meta } = decodeCheckpoint(bytes, checkpointName);
  if (!meta) throw new Error(`${checkpointName} has no MaskAU metadata`);
  const record = recordFromCheckpoint(meta, {
    checkpoint: { path: checkpointName, sha256: await sha256Hex(bytes), bytes: bytes.length },
    environment: browserEnvironment(),
  });
  return checkRecord(record, `${record.id}.json`);
}

/** Downloads the record of `bytes` as `<id>.json` (id: the checkpoint's name without .safetensors). */
export async function downloadRecord(bytes: Uint8Array, checkpointName: string): Promise<RunRecord> {
  const record = await browserRecord(bytes, checkpointName);
  downloadBlob(JSON.stringify(record, null, 2) + "\n", `${recordIdOf(checkpointName)}.json`, "application/json");
  return record;
}
