// underLock: the students of a teacher that start together compute its outputs once; the
// others wait for the result instead of computing it again, and a stale lock is taken over.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { underLock } from "../../../src/lib/runs/node.js";

const dir = mkdtempSync(join(tmpdir(), "maskau-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("underLock", () => {
  it("computes once while callers wait for the result, and removes the lock", async () => {
    let result: string | undefined;
    let computed = 0;
    const compute = async () => {
      computed++;
      await new Promise((r) => setTimeout(r, 50));
      return (result = "targets");
    };
    const lock = join(dir, "a.lock");
    const all = await Promise.all([0, 1, 2].map(() => underLock(lock, async () => result, compute, 5)));
    expect(all).toEqual(["targets", "targets", "targets"]);
    expect(computed).toBe(1);
    expect(() => writeFileSync(lock, "", { flag: "wx" })).not.toThrow();
  });

  it("takes over a lock older than 30 minutes, and computes again when the holder failed", async () => {
    const stale = join(dir, "b.lock");
    writeFileSync(stale, "");
    const old = (Date.now() - 31 * 60_000) / 1000;
    utimesSync(stale, old, old);
    expect(await underLock(stale, async () => undefined, async () => "mine", 5)).toBe("mine");
    // A holder that throws releases the lock: the next caller computes.
    const lock = join(dir, "c.lock");
    await expect(underLock(lock, async () => undefined, async () => Promise.reject(new Error("out of memory")), 5)).rejects.toThrow("out of memory");
    expect(await underLock(lock, async () => undefined, async () => "second", 5)).toBe("second");
  });
});
