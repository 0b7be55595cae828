// Temporary files left by killed writers (`.F.<pid>.<hex>.tmp`, see tempPathFor) are removed
// when a new atomic write of F starts; those of live processes (a write in progress), of
// other files and other names are left alone.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCheckpointMeta, removeStaleTemps, tempPathFor, withFileLock, writeFileAtomic } from "../../../src/lib/io/atomic-node.js";
import { decodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { writeSafetensors } from "../../../src/lib/io/safetensors.js";

const dir = mkdtempSync(join(tmpdir(), "maskau-atomic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("stale temporary files of atomic writes", () => {
  it("a new write of F removes F's temporary files whose writer is gone, and nothing else", async () => {
    const path = join(dir, "run.v2.safetensors");
    writeFileSync(path, "old");
    const dead = deadPid();
    const name = (pid: number | string, file = "run.v2.safetensors", hex = "0123456789ab") => `.${file}.${pid}.${hex}.tmp`;
    const killed = [name(dead), name(dead, undefined, "ba9876543210")];
    const kept = [
      name(process.pid), // this process: a write in progress
      name(process.ppid), // a live process
      name(dead, "other.safetensors"), // another file's
      name(dead, "run.v2Xsafetensors"), // the dot is not a wildcard
      name(dead, undefined, "xyz"), // not tempPathFor's shape
      name("abc"),
    ];
    for (const n of [...killed, ...kept]) writeFileSync(join(dir, n), "half a checkpoint");
    // tempPathFor's names are what is matched.
    expect(tempPathFor(path)).toMatch(new RegExp(`/\\.run\\.v2\\.safetensors\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));

    await writeFileAtomic(path, Uint8Array.from([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).sort()).toEqual(["run.v2.safetensors", ...kept].sort());
    // Nothing more to remove.
    expect(await removeStaleTemps(path)).toEqual([]);
  });

  it("a failure to remove a stale file does not stop the write", async () => {
    const path = join(dir, "b.safetensors");
    const stale = join(dir, `.b.safetensors.${deadPid()}.00000000000f.tmp`);
    writeFileSync(stale, "half");
    const rm = async (p: Parameters<typeof import("node:fs/promises").rm>[0]) => {
      if (p === stale) throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    };
    await writeFileAtomic(path, Uint8Array.from([9]), { fs: { rm } });
    expect([...readFileSync(path)]).toEqual([9]);
    expect(readdirSync(dir).filter((f) => f.includes("b.safetensors")).sort()).toEqual([basename(stale), "b.safetensors"]);
  });
});

describe("readCheckpointMeta", () => {
  it("reads the metadata from the header alone: the same as decoding the whole file, null for plain safetensors, an error for a cut header", () => {
    const shipped = "src/checkpoints/student-tiny-random0.5.safetensors";
    const meta = readCheckpointMeta(shipped);
    expect(meta).toEqual(decodeCheckpoint(new Uint8Array(readFileSync(shipped)), shipped).meta);
    expect(meta?.model).toBe("student");
    const dir = mkdtempSync(join(tmpdir(), "maskau-meta-"));
    try {
      const plain = join(dir, "plain.safetensors");
      writeFileSync(plain, writeSafetensors({ w: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } }));
      expect(readCheckpointMeta(plain)).toBeNull();
      const cut = join(dir, "cut.safetensors");
      writeFileSync(cut, readFileSync(shipped).subarray(0, 100));
      expect(() => readCheckpointMeta(cut)).toThrow(/cut\.safetensors/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("withFileLock", () => {
  it("runs one holder at a time, releases on error, and takes over a lock left by a dead process", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maskau-lock-"));
    const lock = join(dir, "x.lock");
    const order: string[] = [];
    const hold = (name: string) => withFileLock(lock, async () => {
      order.push(`${name}+`);
      await new Promise((r) => setTimeout(r, 30));
      order.push(`${name}-`);
    }, { pollMs: 5 });
    await Promise.all([hold("a"), hold("b"), hold("c")]);
    // Never two inside at once: every entry is followed by its own exit.
    for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i].replace("+", "-"));
    await expect(withFileLock(lock, async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect(existsSync(lock)).toBe(false);
    // A lock file an hour old: its holder is gone.
    writeFileSync(lock, "");
    utimesSync(lock, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    expect(await withFileLock(lock, async () => 42, { pollMs: 5, staleMs: 60_000 })).toBe(42);
    rmSync(dir, { recursive: true, force: true });
  });
});
