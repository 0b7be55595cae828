// underLock: callers that start together compute once (the students of a teacher its
// outputs, side-by-side protocol invocations a run); the others wait for the result. A lock
// whose holder died is taken over, a live holder's is not, however long it computes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tryLock, underLock } from "../../../src/lib/io/atomic-node.js";

const dir = mkdtempSync(join(tmpdir(), "maskau-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("underLock", () => {
  it("computes once while callers wait for the result, and removes the lock", async () => {
    let result: string | undefined;
    let computed = 0;
    let waits = 0;
    const compute = async () => {
      computed++;
      await sleep(50);
      return (result = "targets");
    };
    const lock = join(dir, "a.lock");
    const all = await Promise.all([0, 1, 2].map(() => underLock(lock, async () => result, compute, { pollMs: 5, onWait: () => waits++ })));
    expect(all).toEqual(["targets", "targets", "targets"]);
    expect(computed).toBe(1);
    expect(waits).toBe(2);
    expect(() => writeFileSync(lock, "", { flag: "wx" })).not.toThrow();
  });

  it("takes over a lock older than staleMs, and computes again when the holder failed", async () => {
    const stale = join(dir, "b.lock");
    writeFileSync(stale, "");
    const old = (Date.now() - 31 * 60_000) / 1000;
    utimesSync(stale, old, old);
    expect(await underLock(stale, async () => undefined, async () => "mine", { pollMs: 5, staleMs: 30 * 60_000 })).toBe("mine");
    // A holder that throws releases the lock: the next caller computes.
    const lock = join(dir, "c.lock");
    await expect(underLock(lock, async () => undefined, async () => Promise.reject(new Error("out of memory")), { pollMs: 5 })).rejects.toThrow("out of memory");
    expect(await underLock(lock, async () => undefined, async () => "second", { pollMs: 5 })).toBe("second");
  });

  it("takes over at once a fresh lock whose holder on this host is gone", async () => {
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    const lock = join(dir, "d.lock");
    writeFileSync(lock, `${hostname()} ${gone}\n`);
    expect(tryLock(lock, 60 * 60_000)).toBe(false); // removes the dead holder's lock
    expect(tryLock(lock, 60 * 60_000)).toBe(true);
    expect(readFileSync(lock, "utf8")).toBe(`${hostname()} ${process.pid}\n`);
    // A live holder (this process) keeps it however old the file is (a training loop may not
    // let its timers touch it), and a fresh lock of another host is kept.
    const old = (Date.now() - 2 * 60 * 60_000) / 1000;
    utimesSync(lock, old, old);
    expect(tryLock(lock, 60 * 60_000)).toBe(false);
    expect(readFileSync(lock, "utf8")).toBe(`${hostname()} ${process.pid}\n`);
    writeFileSync(lock, `elsewhere ${gone}\n`);
    expect(tryLock(lock, 60 * 60_000)).toBe(false);
    expect(tryLock(lock, 60 * 60_000)).toBe(false);
    // Another host's lock goes by its age.
    utimesSync(lock, old, old);
    expect(tryLock(lock, 60 * 60_000)).toBe(false);
    expect(tryLock(lock, 60 * 60_000)).toBe(true);
  });

  it("keeps a live holder's lock fresh past staleMs, so no one computes beside it", async () => {
    let computed = 0;
    const lock = join(dir, "e.lock");
    const slow = async () => {
      computed++;
      await sleep(600);
      return "slow";
    };
    const first = underLock(lock, async () => undefined, slow, { pollMs: 20, staleMs: 200 });
    await sleep(20);
    let result: string | undefined;
    const second = underLock(lock, async () => result, async () => (computed++, "again"), { pollMs: 20, staleMs: 200 });
    result = await first;
    expect(await second).toBe("slow");
    expect(computed).toBe(1);
  });
});
