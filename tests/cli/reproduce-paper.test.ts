// `maskau reproduce paper --quick`: the whole protocol chain end to end (an MAE, the clean
// detector, stage-1 and stage-2 teachers, students and alpha = 0 controls, evaluation with
// per-subject counts, Fig. 3's curve, bootstrap intervals), then invocations that reuse it all,
// add to it, and rebuild from the ledger.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { decodeCheckpoint } from "../../src/lib/io/checkpoint.js";
import { replaceBlock } from "../../cli/commands/reproduce-paper.js";
import { PAPER_RESULTS } from "../../src/lib/protocol/aggregate.js";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-paper-"));
const env = { ...process.env, MASKAU_CACHE_DIR: join(dir, "cache") };
const out = join(dir, "protocol");
const args = ["cli/maskau.mjs", "reproduce", "paper", "--quick", "--resamples", "100", "--out-dir", out];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("maskau reproduce paper --quick", () => {
  it("trains every run of the plan, evaluates them and writes the results; a rerun reuses it all", async () => {
    const first = await exec("node", args, { env, maxBuffer: 1 << 24 });
    const protocol = JSON.parse(readFileSync(join(out, "protocol.json"), "utf8"));
    expect(protocol.runs.map((r: { id: string }) => r.id)).toEqual([
      "fold1/mae",
      "fold1/seed0/clean",
      ...["random0.5", "block0.3"].flatMap((t) => [`fold1/seed0/teacher1-${t}`, `fold1/seed0/teacher-${t}`, `fold1/seed0/student-${t}`, `fold1/seed0/student-a0-${t}`]),
    ]);
    expect(protocol.runs.every((r: { status: string; sha256: string }) => r.status === "trained" && /^[0-9a-f]{64}$/.test(r.sha256))).toBe(true);
    // Every checkpoint has its run record beside it, naming that checkpoint's SHA-256.
    for (const r of protocol.runs as { id: string; sha256: string }[]) {
      const record = JSON.parse(readFileSync(join(out, `${r.id}.record.json`), "utf8"));
      expect(record.checkpoint.sha256, r.id).toBe(r.sha256);
    }
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    // (a) once; (b), (c), (d1), (d), (e), (e0) for each occlusion.
    expect(results.conditions).toHaveLength(1 + 6 * 2);
    expect(results.claims).toHaveLength(5 * 2);
    for (const c of results.claims) expect(c.interval.lo).toBeLessThanOrEqual(c.interval.hi);
    const evals = JSON.parse(readFileSync(join(out, "evals/fold1-seed0.json"), "utf8"));
    expect(evals.subjects).toHaveLength(3);
    expect(evals.rows[0].counts).toHaveLength(3 * 12 * 4);
    expect(first.stdout).toContain("| (e) − (d) | random:0.5 | the student matches its teacher");
    // Fig. 3's curve (--quick: random patches at 20% and 50%) for (b), (c), (d) and (e); a
    // point the table scored is the same counts, the others are scored for the curve.
    expect(evals.curves.map((r: { condition: string; occlusion: string }) => `${r.condition} ${r.occlusion}`)).toEqual(["(b)", "(c)", "(d)", "(e)"].flatMap((c) => [`${c} random:0.2`, `${c} random:0.5`]));
    for (const c of ["(b)", "(c)", "(d)", "(e)"]) {
      const point = evals.curves.find((r: { condition: string; occlusion: string }) => r.condition === c && r.occlusion === "random:0.5");
      expect(point.counts, c).toEqual(evals.rows.find((r: { condition: string; occlusion: string }) => r.condition === c && r.occlusion === "random:0.5").counts);
    }
    expect(evals.curves.find((r: { condition: string; occlusion: string }) => r.condition === "(b)" && r.occlusion === "random:0.2").meanF1).not.toBe(evals.curves[1].meanF1);
    expect(results.curves.points).toHaveLength(8);
    expect(results.curves.claims).toHaveLength(4);
    expect(first.stdout).toContain("Random patches (the paper's Fig. 3), teacher and student trained at random:0.5:");

    // A rerun trains nothing: the ledger has every run scored, so the plan skips them all.
    const plan = await exec("node", [...args, "--plan"], { env, maxBuffer: 1 << 24 });
    expect(plan.stdout).toContain("fold 1, seed 0: complete in the ledger (10 checkpoints scored, 8 curve points); skipped");
    expect(plan.stdout).toContain("No run to train.");
    const skipping = await exec("node", args, { env, maxBuffer: 1 << 24 });
    expect(skipping.stderr).toContain("10 runs already scored in the ledger are skipped");
    expect(JSON.parse(readFileSync(join(out, "protocol.json"), "utf8")).runs).toEqual([]);
    expect(JSON.parse(readFileSync(join(out, "results.json"), "utf8")).claims).toEqual(results.claims);
    // --rerun brings them up to date anyway: every checkpoint reused, the evaluation too.
    const second = await exec("node", [...args, "--rerun"], { env, maxBuffer: 1 << 24 });
    const again = JSON.parse(readFileSync(join(out, "protocol.json"), "utf8"));
    expect(again.runs.every((r: { status: string }) => r.status === "reused")).toBe(true);
    expect(again.runs.map((r: { sha256: string }) => r.sha256)).toEqual(protocol.runs.map((r: { sha256: string }) => r.sha256));
    expect(second.stderr).toContain("evaluated fold 1, seed 0 (13 rows");
    expect(second.stderr).toContain("reused)");
    expect(JSON.parse(readFileSync(join(out, "results.json"), "utf8")).claims).toEqual(results.claims);
    // An evaluation from before the curves were part of the protocol (in the folder and the
    // ledger) covers no run: they are brought up to date, keep their rows and get the curves scored.
    const evalPath = join(out, "evals/fold1-seed0.json");
    const ledgerEval = join(out, "ledger/evals/fold1-seed0.json");
    writeFileSync(evalPath, JSON.stringify({ ...evals, curves: undefined }));
    writeFileSync(ledgerEval, JSON.stringify({ ...evals, curves: undefined }));
    const upgraded = await exec("node", args, { env, maxBuffer: 1 << 24 });
    expect(upgraded.stderr).not.toContain("already scored in the ledger");
    expect(upgraded.stderr).toContain("evaluated fold 1, seed 0 (13 rows");
    expect(upgraded.stderr).not.toContain("reused)");
    expect(JSON.parse(readFileSync(evalPath, "utf8"))).toEqual(evals);

    // The ledger (what is committed): records, evaluations, the run log with the first invocation's training times.
    const ledger = join(out, "ledger");
    const logged = JSON.parse(readFileSync(join(ledger, "runs.json"), "utf8")).runs as { id: string; status: string; seconds: number }[];
    expect(logged.map((r) => r.id).sort()).toEqual(protocol.runs.map((r: { id: string }) => r.id).sort());
    expect(logged.every((r) => r.status === "trained" && r.seconds > 0.05)).toBe(true);
    expect(JSON.parse(readFileSync(join(ledger, "records/fold1/seed0/student-block0.3.record.json"), "utf8")).kind).toBe("student");
    // --aggregate-only rebuilds the same results from the ledger alone, with no checkpoint.
    const json = join(dir, "from-ledger.json");
    const empty = ["cli/maskau.mjs", "reproduce", "paper", "--quick", "--resamples", "100", "--out-dir", join(dir, "empty"), "--records", ledger];
    const rebuilt = await exec("node", [...empty, "--aggregate-only", "--json", json], { env, maxBuffer: 1 << 24 });
    expect(JSON.parse(readFileSync(json, "utf8")).claims).toEqual(results.claims);
    expect(rebuilt.stdout).toContain(`From the ledger in \`${ledger}\``);
    expect(rebuilt.stderr).toContain("aggregated 1 evaluation of");

    // --ablations adds the ten ablation students and the two control stages; of the runs the
    // ledger scored only those they read are brought up to date (the MAE, the clean detector,
    // the random:0.5 teacher's two stages). One ablation first (--only ablation-node), as on a
    // machine that keeps no checkpoint: its checkpoint and the folder's evaluation are then
    // removed, and the next invocation trains eight others and the control, copies beta = 0
    // from node KD only (the same model, which it therefore trains again although the ledger
    // scored it) and keeps the 13 rows of the ledger.
    const one = await exec("node", [...args, "--ablations", "--only", "ablation-node"], { env, maxBuffer: 1 << 24 });
    expect(JSON.parse(readFileSync(join(out, "protocol.json"), "utf8")).runs.filter((r: { status: string }) => r.status === "trained").map((r: { id: string }) => r.id)).toEqual(["fold1/seed0/ablation-node-random0.5"]);
    expect(one.stderr).toContain("evaluated fold 1, seed 0 (14 rows");
    rmSync(join(out, "fold1/seed0/ablation-node-random0.5.safetensors"));
    rmSync(evalPath);
    const third = await exec("node", [...args, "--ablations"], { env, maxBuffer: 1 << 24 });
    const withAblations = JSON.parse(readFileSync(join(out, "protocol.json"), "utf8")).runs as { id: string; role: string; status: string }[];
    expect(withAblations.filter((r) => r.status === "trained").map((r) => r.role).sort()).toEqual([...Array(9).fill("ablation"), "control", "control1"]);
    expect(withAblations.filter((r) => r.status === "copied").map((r) => r.id)).toEqual(["fold1/seed0/ablation-b0-random0.5"]);
    expect(readFileSync(join(out, "fold1/seed0/ablation-b0-random0.5.safetensors")).equals(readFileSync(join(out, "fold1/seed0/ablation-node-random0.5.safetensors")))).toBe(true);
    expect(withAblations.filter((r) => r.status === "reused").map((r) => r.id)).toEqual(["fold1/mae", "fold1/seed0/clean", "fold1/seed0/teacher1-random0.5", "fold1/seed0/teacher-random0.5"]);
    expect(third.stderr).toContain("6 runs already scored in the ledger are skipped");
    expect(third.stderr).toContain("evaluated fold 1, seed 0 (25 rows");
    // The ablation students of one teacher share its outputs, computed once.
    expect(one.stderr.match(/teacher outputs precomputed for \d+ inputs/g)).toHaveLength(1);
    expect(third.stderr.match(/teacher outputs precomputed for \d+ inputs/g)).toHaveLength(9);
    const ablated = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(ablated.claims).toHaveLength(5 * 2 + 2 + 10);
    // The rows kept from before are the same numbers: the main claims are unchanged.
    expect(ablated.claims.slice(0, 10)).toEqual(results.claims);
    expect(third.stdout).toContain("| (e:frozen) − (e) | random:0.5 | ablation: encoder frozen instead of (e)'s setting");
    const perRunOf = (a: string) => ablated.claims.find((c: { a: string }) => c.a === a).perRun;
    expect(perRunOf("(e:b0)")).toEqual(perRunOf("(e:node)"));
    expect(third.stdout).toContain("| (e) − (f) | random:0.5 | the MAE latent matters");
    expect(third.stdout).toContain("| (d) − (f) | random:0.5 | reconstruction matters");

    // On another machine (no earlier evaluation in the folder, checkpoints of other runs gone),
    // the ledger's evaluation is where the rows of the runs it does not retrain come from.
    rmSync(evalPath);
    rmSync(join(out, "fold1/seed0/student-a0-random0.5.safetensors"));
    const elsewhere = await exec("node", [...args, "--only", "teacher1", "--rerun"], { env, maxBuffer: 1 << 24 });
    expect(elsewhere.stderr).toContain("evaluated fold 1, seed 0 (25 rows");
    expect(elsewhere.stderr).toContain("reused)");
    expect(JSON.parse(readFileSync(join(out, "results.json"), "utf8")).claims).toEqual(ablated.claims);
  }, 600_000);

  it("trains the same weights with --jobs 2 (two processes, one wasm thread each) and precomputed teacher outputs, each run logged", async () => {
    const lanes = join(dir, "lanes");
    // The lanes' students read the teacher's outputs precomputed (the first run's students ran the teacher each step): same bits.
    await exec("node", [...args.slice(0, -1), lanes, "--jobs", "2"], { env: { ...env, MASKAU_TEACHER_TARGETS: "cache" }, maxBuffer: 1 << 24 });
    expect(readFileSync(join(lanes, "logs", "fold1-seed0-student-random0.5.log"), "utf8")).toContain("teacher outputs precomputed for");
    const protocol = JSON.parse(readFileSync(join(lanes, "protocol.json"), "utf8"));
    expect(protocol.runs).toHaveLength(10);
    for (const id of ["fold1/mae", "fold1/seed0/teacher-block0.3", "fold1/seed0/student-random0.5"]) {
      const a = decodeCheckpoint(new Uint8Array(readFileSync(join(out, `${id}.safetensors`))));
      const b = decodeCheckpoint(new Uint8Array(readFileSync(join(lanes, `${id}.safetensors`))));
      expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
      const bytes = (d: Float32Array | Int32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
      for (const [name, t] of a.tensors) expect(bytes(b.tensors.get(name)!.data).equals(bytes(t.data)), `${id} ${name}`).toBe(true);
      expect(readFileSync(join(lanes, "logs", `${id.replace(/\//g, "-")}.log`), "utf8")).toContain("wrote");
    }
  }, 600_000);
});

describe("maskau reproduce paper: invocations side by side", () => {
  it("train a run they both plan once: the second waits for the first's checkpoint", async () => {
    const shared = join(dir, "shared");
    const both = await Promise.all([0, 1].map(() => exec("node", [...args.slice(0, -1), shared, "--run", "fold1/mae"], { env, maxBuffer: 1 << 24 })));
    const waited = both.filter((r) => r.stderr.includes("another process is training it"));
    expect(waited).toHaveLength(1);
    expect(waited[0].stderr).toContain(`${join(shared, "fold1/mae.safetensors")} was finished by another process`);
    expect(both.filter((r) => r.stderr.includes(`wrote ${join(shared, "fold1/mae.safetensors")}`))).toHaveLength(1);
    expect(decodeCheckpoint(new Uint8Array(readFileSync(join(shared, "fold1/mae.safetensors")))).meta?.step).toBeGreaterThan(0);
    expect(existsSync(join(shared, "fold1/mae.safetensors.lock"))).toBe(false);
  }, 300_000);
});

describe("maskau reproduce paper --quick --dataset disfa", () => {
  it("runs the same chain on the DISFA preset: its 8 AUs, the paper's Table 3 beside the results", async () => {
    const disfa = join(dir, "disfa");
    const run = await exec("node", ["cli/maskau.mjs", "reproduce", "paper", "--quick", "--dataset", "disfa", "--resamples", "100", "--out-dir", disfa], { env, maxBuffer: 1 << 24 });
    const results = JSON.parse(readFileSync(join(disfa, "results.json"), "utf8"));
    expect(results.aus).toEqual([1, 2, 4, 6, 9, 12, 25, 26]);
    expect(results.conditions).toHaveLength(1 + 6 * 2);
    expect(results.conditions.every((c: { perAu: number[] }) => c.perAu.length === 8)).toBe(true);
    expect(results.curves.points).toHaveLength(8);
    // Beside (a), the paper's DISFA figure (its Table 3), not BP4D's 65.5; the per-AU table has DISFA's AUs.
    const paperA = PAPER_RESULTS.disfa.none["(a)"]!.toFixed(1);
    expect(run.stdout).toMatch(new RegExp(`\\| \\(a\\) clean detector, clean faces \\| none \\| 1 \\| \\*\\*[\\d.]+\\*\\* \\| — \\| — \\| ${paperA} \\|`));
    expect(run.stdout).toContain("| AU1 | AU2 | AU4 | AU6 | AU9 | AU12 | AU25 | AU26 | mean |");
    expect(run.stdout).toContain("the paper's figure (full-size models on DISFA)");
  }, 300_000);
});

describe("--docs", () => {
  it("replaces only the dataset's block and names the markers when they are missing", () => {
    const doc = "intro\n<!-- results:bp4d -->\nold\n<!-- /results:bp4d -->\noutro\n";
    expect(replaceBlock(doc, "results:bp4d", "| new |", "docs/results.md")).toBe("intro\n<!-- results:bp4d -->\n| new |\n<!-- /results:bp4d -->\noutro\n");
    expect(() => replaceBlock(doc, "results:disfa", "x", "docs/results.md")).toThrow('--docs docs/results.md: no "<!-- results:disfa -->" ... "<!-- /results:disfa -->" block');
  });
});
