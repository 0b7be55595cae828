// Node-only file helpers for checkpoints. A checkpoint is replaced atomically: the
// bytes go to a temporary file in the same directory (same file system, so rename is
// atomic), are flushed to disk with fsync, and only then renamed over the target. A
// crash or error at any point leaves either the old file or the new one, never a
// half-written file, and the temporary file is removed on failure. A writer killed
// mid-write (SIGKILL, power loss) cannot remove its temporary file, so each new write of
// a file first removes the temporary files of that file whose writer process is gone.
//
// MASKAU_FAULT=kill-during-write:N (src/lib/faults-node.ts) makes the N-th write of
// the process stop half way through its temporary file and hang, for the test that
// kills a training process while it writes a checkpoint.
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync, rmSync, statSync, utimesSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import * as fsp from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { FAULT, hang } from "../faults-node.js";
import type { TensorData } from "../models/params.js";
import type { OptimizerState } from "../train/trainer.js";
import { checkpointMeta, decodeCheckpoint, encodeCheckpoint, type CheckpointMeta, type CheckpointMetaInput, type DecodedCheckpoint } from "./checkpoint.js";
import { inspectSafetensorsHeader, safetensorsHeaderLength } from "./safetensors.js";

/** The file-system calls writeFileAtomic makes; replaceable to simulate failures in tests. */
export interface AtomicFs {
  open: typeof fsp.open;
  rename: typeof fsp.rename;
  rm: typeof fsp.rm;
}

const NODE_FS: AtomicFs = { open: fsp.open, rename: fsp.rename, rm: fsp.rm };

/** Atomic writes made by this process (counted only under a kill-during-write fault). */
let writesMade = 0;

/** Name of a temporary file for `path` (same directory, hidden, unique). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/** Whether process `pid` exists on this machine (signal 0 only checks; EPERM: it exists but is not ours). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Removes the temporary files of `path` (tempPathFor's `.F.<pid>.<hex>.tmp`) whose writer
 * process no longer exists: left by a writer that was killed mid-write. Those of live
 * processes, this one included, may be writes in progress and are kept. Best effort (a
 * file that cannot be listed or removed is left); returns the paths removed.
 */
export async function removeStaleTemps(path: string, { fs = NODE_FS }: { fs?: Partial<AtomicFs> } = {}): Promise<string[]> {
  const io: AtomicFs = { ...NODE_FS, ...fs };
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(path))}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try {
    names = await fsp.readdir(dirname(path));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    const stale = join(dirname(path), name);
    try {
      await io.rm(stale, { force: true });
      removed.push(stale);
    } catch {
      /* best effort */
    }
  }
  return removed;
}

/**
 * Writes `bytes` to `path` atomically (temp file + fsync + rename + directory fsync), after
 * removing temporary files of `path` that killed writers left (removeStaleTemps).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, { fs = NODE_FS }: { fs?: Partial<AtomicFs> } = {}): Promise<void> {
  const io: AtomicFs = { ...NODE_FS, ...fs };
  await removeStaleTemps(path, { fs: io });
  const tmp = tempPathFor(path);
  const faulted = FAULT?.kind === "kill-during-write" && ++writesMade === FAULT.write;
  let renamed = false;
  try {
    const handle = await io.open(tmp, "wx", 0o644);
    try {
      let written = 0;
      const upTo = faulted ? bytes.byteLength >> 1 : bytes.byteLength;
      while (written < upTo) {
        const { bytesWritten } = await handle.write(bytes, written, upTo - written);
        if (bytesWritten <= 0) throw new Error(`writing ${tmp}: no progress after ${written} of ${bytes.byteLength} bytes`);
        written += bytesWritten;
      }
      if (faulted) {
        process.stderr.write(`maskau fault: hanging after ${written} of ${bytes.byteLength} bytes of ${tmp} (write ${writesMade}, for ${path})\n`);
        await hang();
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await io.rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) await io.rm(tmp, { force: true }).catch(() => undefined);
  }
  // Make the rename itself durable. Not every platform can fsync a directory.
  try {
    const dir = await io.open(dirname(path), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* best effort */
  }
}

/** Reads and decodes a checkpoint file (errors name the file). */
export async function readCheckpointFile(path: string): Promise<DecodedCheckpoint> {
  const bytes = await fsp.readFile(path);
  return decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** A checkpoint file's MaskAU metadata (null for a plain safetensors file), read from its header alone: the tensors are not read. */
export function readCheckpointMeta(path: string): CheckpointMeta | null {
  const size = statSync(path).size;
  const fd = openSync(path, "r");
  try {
    const prefix = new Uint8Array(8);
    readSync(fd, prefix, 0, 8, 0);
    const header = new Uint8Array(8 + safetensorsHeaderLength(prefix, size, path));
    readSync(fd, header, 0, header.length, 0);
    return checkpointMeta(inspectSafetensorsHeader(header, size, path).metadata, path);
  } finally {
    closeSync(fd);
  }
}

/** Encodes and writes a checkpoint atomically. */
export async function writeCheckpointFile(
  path: string,
  tensors: Map<string, TensorData>,
  meta: CheckpointMetaInput,
  optimizer?: OptimizerState | null,
): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(tensors, meta, optimizer));
}

/**
 * Takes `lock` (a file created exclusively, holding "host pid" of its holder) if no one
 * holds it. A lock is taken as left by a process that died, and removed, when its holder
 * ran on this host and is gone, or, for a holder on another host (a shared folder) or a lock
 * that names none, when its file is older than `staleMs`. Returns whether it was taken.
 */
export function tryLock(lock: string, staleMs: number): boolean {
  try {
    const fd = openSync(lock, "wx");
    try {
      writeSync(fd, `${hostname()} ${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    try {
      if (lockStale(readFileSync(lock, "utf8"), statSync(lock).mtimeMs, staleMs)) rmSync(lock, { force: true });
    } catch {
      // the lock went away meanwhile
    }
    return false;
  }
}

/**
 * Whether a lock whose file says `content` and was last touched at `mtimeMs` is left by a
 * dead process. A holder on this host is asked directly (a live one may be too busy to touch
 * its lock: a training loop that never yields to timers); one written on another host, or
 * being written (empty), goes by the file's age.
 */
function lockStale(content: string, mtimeMs: number, staleMs: number): boolean {
  const [host, pid] = content.trim().split(" ");
  if (host !== hostname() || !/^\d+$/.test(pid ?? "")) return Date.now() - mtimeMs > staleMs;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Runs `compute` once across processes: while another holds `lock`, waits (calling `onWait`
 * once) until `ready` gives a result or the lock is gone, then takes the lock itself. A
 * holder that died loses it at once on this host (tryLock); for other hosts sharing the
 * folder, the holder touches the lock every staleMs / 5 when its event loop lets timers run.
 */
export async function underLock<T>(
  lock: string,
  ready: () => Promise<T | undefined>,
  compute: () => Promise<T>,
  { pollMs = 2000, staleMs = 5 * 60_000, onWait }: { pollMs?: number; staleMs?: number; onWait?: () => void } = {},
): Promise<T> {
  let waited = false;
  for (;;) {
    const done = await ready();
    if (done !== undefined) return done;
    if (!tryLock(lock, staleMs)) {
      if (!waited) onWait?.();
      waited = true;
      await new Promise((r) => setTimeout(r, pollMs));
      continue;
    }
    const beat = setInterval(() => {
      try {
        const now = new Date();
        utimesSync(lock, now, now);
      } catch {
        // removed by someone who took it as stale: nothing to refresh
      }
    }, staleMs / 5);
    beat.unref();
    try {
      return await compute();
    } finally {
      clearInterval(beat);
      rmSync(lock, { force: true });
    }
  }
}

/**
 * Runs `fn` holding `lock`, across processes and within one (a read-modify-write of a file
 * that side-by-side invocations share): waits while another holds it.
 */
export async function withFileLock<T>(lock: string, fn: () => Promise<T>, { pollMs = 50, staleMs = 60_000 } = {}): Promise<T> {
  while (!tryLock(lock, staleMs)) await new Promise((r) => setTimeout(r, pollMs));
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
