// The protocol's ledger: run logs merge so a reused run keeps when and how long it was
// trained, records and evaluations are copied in and checked against each other, and the
// committed ledger is what docs/results.md's tables are rebuilt from.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { aggregateProtocol, PAPER_RESULTS, resultsMarkdown, runsPhrase, type ProtocolEvalFile } from "../../../src/lib/protocol/aggregate.js";
import { checkFig3 } from "../../../src/lib/eval/fig3.js";
import { aggregateCurves, curvesMarkdown } from "../../../src/lib/protocol/curves.js";
import { mergeRunLogs, protocolPageData, readLedgerEvals, retrainedNote, sameModelAs, writeLedger, type LedgerRun } from "../../../src/lib/protocol/ledger-node.js";
import { recordJson, readRecordsDir, RECORDS_DIR } from "../../../src/lib/records/node.js";

const run = (id: string, status: LedgerRun["status"], sha256: string, seconds = 1): LedgerRun => ({ id, role: "clean", command: `maskau train ${id}`, status, seconds, sha256, backend: "wasm" });

describe("mergeRunLogs", () => {
  it("keeps a reused run's entry, replaces a retrained one, adds new ones, sorted by id with numbers in order", () => {
    const old = [run("fold1/seed0/clean", "trained", "a", 850), run("fold1/seed1/clean", "trained", "b", 900)];
    const merged = mergeRunLogs(old, [run("fold1/seed0/clean", "reused", "a", 0.01), run("fold1/seed1/clean", "trained", "c", 700), run("fold10/seed0/clean", "trained", "d"), run("fold2/seed0/clean", "trained", "e")]);
    expect(merged.map((r) => [r.id, r.status, r.sha256, r.seconds])).toEqual([
      ["fold1/seed0/clean", "trained", "a", 850],
      ["fold1/seed1/clean", "trained", "c", 700],
      ["fold2/seed0/clean", "trained", "e", 1],
      ["fold10/seed0/clean", "trained", "d", 1],
    ]);
    // A shipped checkpoint copied in again (another machine) keeps its entry too.
    expect(mergeRunLogs([run("fold1/mae", "shipped", "m", 0.004)], [run("fold1/mae", "shipped", "m", 0.12)])[0].seconds).toBe(0.004);
    // A reused run whose checkpoint changed underneath is logged anew.
    expect(mergeRunLogs(old, [run("fold1/seed0/clean", "reused", "z", 0.01)])[0]).toMatchObject({ status: "reused", sha256: "z" });
  });
});

describe("runsPhrase", () => {
  it("names a full grid by folds and seeds, anything else by the seeds of each fold", () => {
    expect(runsPhrase({ folds: [1], seeds: [0, 1], pairs: [{ fold: 1, seed: 0 }, { fold: 1, seed: 1 }] })).toBe("1 fold (1) x 2 seeds (0, 1)");
    expect(runsPhrase({ folds: [1, 2], seeds: [0, 1, 2], pairs: [0, 1, 2].map((seed) => ({ fold: 1, seed })).concat([{ fold: 2, seed: 0 }]) })).toBe("4 runs: fold 1 (seeds 0, 1, 2), fold 2 (seed 0)");
  });
});

describe("writeLedger and readLedgerEvals", () => {
  const dir = mkdtempSync(join(tmpdir(), "maskau-ledger-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A real committed record stands in for a run's record.
  const record = readRecordsDir(RECORDS_DIR).find((r) => r.id === "detector-tiny-clean")!;
  const sha = record.checkpoint.sha256;
  const out = join(dir, "out");
  mkdirSync(join(out, "fold1/seed0"), { recursive: true });
  writeFileSync(join(out, "fold1/seed0/clean.record.json"), recordJson(record));
  const evalFile: ProtocolEvalFile = { fold: 1, seed: 0, fill: "gray", aus: [1], subjects: ["F1"], checkpoints: { "fold1/seed0/clean": sha }, rows: [] };

  it("copies records and evaluations in, merges the run log, and reads the evaluations back checked", async () => {
    const ledger = join(dir, "ledger");
    await writeLedger(ledger, out, [run("fold1/seed0/clean", "trained", sha, 853)], [{ ...evalFile, reused: true } as ProtocolEvalFile]);
    expect(JSON.parse(readFileSync(join(ledger, "records/fold1/seed0/clean.record.json"), "utf8")).checkpoint.sha256).toBe(sha);
    expect(JSON.parse(readFileSync(join(ledger, "runs.json"), "utf8")).runs).toEqual([run("fold1/seed0/clean", "trained", sha, 853)]);
    expect(readLedgerEvals(ledger)).toEqual([evalFile]);
    // A later invocation that reuses the run keeps its training time, and the ledger keeps the
    // first record of the checkpoint (one written again on another machine differs in its date).
    writeFileSync(join(out, "fold1/seed0/clean.record.json"), recordJson({ ...record, createdAt: "2030-01-01T00:00:00.000Z" }));
    await writeLedger(ledger, out, [run("fold1/seed0/clean", "reused", sha, 0.01)], [evalFile]);
    expect(JSON.parse(readFileSync(join(ledger, "runs.json"), "utf8")).runs[0].seconds).toBe(853);
    expect(JSON.parse(readFileSync(join(ledger, "records/fold1/seed0/clean.record.json"), "utf8")).createdAt).toBe(record.createdAt);
    writeFileSync(join(out, "fold1/seed0/clean.record.json"), recordJson(record));
  });

  it("says whether a run trained again reached the ledger's weights (or, for an older record, its history and metrics)", async () => {
    const ledger = join(dir, "again");
    await writeLedger(ledger, out, [run("fold1/seed0/clean", "trained", sha, 853)], [evalFile]);
    // The same weights in a new file (another date in its metadata): the same tensors hash.
    // Like a fold's MAE trained again on a fresh machine by the invocation of another seed:
    // the ledger keeps its record and run entry, the new evaluation names the ledger's file,
    // and the earlier evaluation that scored it stays valid.
    const again = { ...record, checkpoint: { ...record.checkpoint, sha256: "e".repeat(64), createdAt: "2030-01-01T00:00:00.000Z" } };
    writeFileSync(join(out, "fold1/seed0/clean.record.json"), recordJson(again));
    const seed1 = { ...evalFile, seed: 1, checkpoints: { "fold1/seed0/clean": "e".repeat(64) } };
    expect(await writeLedger(ledger, out, [run("fold1/seed0/clean", "trained", "e".repeat(64), 700)], [seed1])).toEqual([
      `fold1/seed0/clean: trained again to the same weights as the ledger's (weights sha256 ${record.checkpoint.tensorsSha256!.slice(0, 12)}); the ledger keeps its record`,
    ]);
    expect(JSON.parse(readFileSync(join(ledger, "records/fold1/seed0/clean.record.json"), "utf8")).checkpoint.sha256).toBe(sha);
    expect(JSON.parse(readFileSync(join(ledger, "runs.json"), "utf8")).runs).toEqual([run("fold1/seed0/clean", "trained", sha, 853)]);
    expect(readLedgerEvals(ledger).map((e) => [e.seed, e.checkpoints["fold1/seed0/clean"]])).toEqual([[0, sha], [1, sha]]);
    // The next invocation on this machine reuses that checkpoint: the note says so, the ledger is unchanged.
    expect(await writeLedger(ledger, out, [run("fold1/seed0/clean", "reused", "e".repeat(64), 0.01)], [seed1])).toEqual([
      `fold1/seed0/clean: its checkpoint here, trained again by an earlier invocation, has the same weights as the ledger's (weights sha256 ${record.checkpoint.tensorsSha256!.slice(0, 12)}); the ledger keeps its record`,
    ]);
    expect(JSON.parse(readFileSync(join(ledger, "runs.json"), "utf8")).runs).toEqual([run("fold1/seed0/clean", "trained", sha, 853)]);
    expect(readLedgerEvals(ledger).map((e) => [e.seed, e.checkpoints["fold1/seed0/clean"]])).toEqual([[0, sha], [1, sha]]);
    // An evaluation reusing the ledger's rows takes the new file for the model the ledger names.
    expect(sameModelAs(ledger, out, "fold1/seed0/clean", "e".repeat(64), sha)).toBe(true);
    expect(sameModelAs(ledger, out, "fold1/seed0/clean", "d".repeat(64), sha)).toBe(false);
    // Other weights replace the ledger's record: the evaluations that scored the old file are then out of step.
    const other = { ...again, checkpoint: { ...again.checkpoint, tensorsSha256: "1".repeat(64) } };
    writeFileSync(join(out, "fold1/seed0/clean.record.json"), recordJson(other));
    await writeLedger(ledger, out, [run("fold1/seed0/clean", "trained", "e".repeat(64), 700)], [seed1]);
    expect(JSON.parse(readFileSync(join(ledger, "records/fold1/seed0/clean.record.json"), "utf8")).checkpoint.sha256).toBe("e".repeat(64));
    expect(() => readLedgerEvals(ledger)).toThrow(/fold1-seed0\.json scored fold1\/seed0\/clean .*the ledger is out of step/);
    expect(sameModelAs(ledger, out, "fold1/seed0/clean", "e".repeat(64), sha)).toBe(false);
    writeFileSync(join(out, "fold1/seed0/clean.record.json"), recordJson(record));
    expect(retrainedNote("x", record, { ...record, checkpoint: { ...record.checkpoint, tensorsSha256: "1".repeat(64) } })).toMatch(/^x: trained again to other weights than the ledger's \(weights sha256 111111111111, was [0-9a-f]{12}\): the build or the inputs differ$/);
    // A record from before the weights hash: the loss history and metrics decide.
    const { tensorsSha256: _, ...oldCheckpoint } = record.checkpoint;
    const old = { ...record, checkpoint: oldCheckpoint };
    expect(retrainedNote("x", old, record)).toBe("x: trained again to the same loss history and test metrics as the ledger's (its record has no weights hash to compare)");
    const drifted = { ...record, metrics: { ...record.metrics, meanF1: record.metrics.meanF1! + 1e-7 } };
    expect(retrainedNote("x", old, drifted)).toMatch(/another loss history or other test metrics/);
  });

  it("loses no run when two invocations write the ledger at once (side-by-side `reproduce paper`)", async () => {
    const ledger = join(dir, "shared");
    const ids = ["fold1/seed1/clean", "fold1/seed2/clean", "fold2/seed1/clean", "fold2/seed2/clean"];
    for (const id of ids) {
      mkdirSync(join(out, id, ".."), { recursive: true });
      writeFileSync(join(out, `${id}.record.json`), recordJson(record));
    }
    await Promise.all(ids.map((id, i) => writeLedger(ledger, out, [run(id, "trained", sha, 100 + i)], [{ ...evalFile, seed: i + 1, checkpoints: { [id]: sha } }])));
    expect(JSON.parse(readFileSync(join(ledger, "runs.json"), "utf8")).runs.map((r: LedgerRun) => r.id)).toEqual([...ids].sort());
    expect(readLedgerEvals(ledger)).toHaveLength(4);
    expect(existsSync(join(ledger, "runs.json.lock"))).toBe(false);
  });

  it("refuses a record of another checkpoint and an evaluation the run log does not back", async () => {
    await expect(writeLedger(join(dir, "bad"), out, [run("fold1/seed0/clean", "trained", "f".repeat(64))], [])).rejects.toThrow(/its checkpoint SHA-256 is not that of fold1\/seed0\/clean\.safetensors/);
    const ledger = join(dir, "stale");
    await writeLedger(ledger, out, [run("fold1/seed0/clean", "trained", sha)], [{ ...evalFile, checkpoints: { "fold1/seed0/clean": "0".repeat(64) } }]);
    expect(() => readLedgerEvals(ledger)).toThrow(/scored fold1\/seed0\/clean with SHA-256 000000000000\.\.\., but .*runs\.json logs .*the ledger is out of step/);
    expect(() => readLedgerEvals(join(dir, "none"))).toThrow(/no evaluations .*run `maskau reproduce paper` first/);
  });
});

describe("the committed ledger", () => {
  it("is consistent, and docs/results.md's tables and Fig. 3 curves and the Evaluation page's data are exactly what it aggregates to", () => {
    const doc = readFileSync("docs/results.md", "utf8");
    const block = (name: string) => doc.slice(doc.indexOf(`<!-- ${name} -->`) + `<!-- ${name} -->\n`.length, doc.indexOf(`<!-- /${name} -->`));
    expect(readLedgerEvals("results/paper/bp4d").length).toBeGreaterThan(0);
    // DISFA is in the docs (and on the page) once its ledger has an evaluation.
    for (const dataset of ["bp4d", "disfa"].filter((d) => d === "bp4d" || existsSync(`results/paper/${d}/evals`))) {
      const files = readLedgerEvals(`results/paper/${dataset}`);
      const command = `maskau reproduce paper --dataset ${dataset} --aggregate-only`;
      const results = aggregateProtocol(files, { resamples: 2000, margin: 0.02, seed: 0 });
      const md = resultsMarkdown(results, { command, ledger: `results/paper/${dataset}`, paper: PAPER_RESULTS[dataset], paperName: dataset.toUpperCase() });
      expect(block(`results:${dataset}`), dataset).toBe(md + "\n");
      // Fig. 3 over folds and seeds: the curves of every evaluation that scored them.
      const curves = aggregateCurves(files, { resamples: 2000, seed: 0 });
      expect(curves).not.toBeNull();
      expect(block(`fig3:${dataset}`), dataset).toBe(curvesMarkdown(curves!, { command, paperPoint: dataset === "bp4d" }) + "\n");
      const page = protocolPageData(dataset);
      expect(page.results).toEqual(results);
      expect(page.curves).toEqual(curves);
    }
  }, 120_000);

  it("gives the page nulls for a dataset whose ledger has no evaluation", () => {
    const root = mkdtempSync(join(tmpdir(), "maskau-ledger-"));
    try {
      expect(protocolPageData("disfa", root)).toEqual({ dataset: "disfa", ledger: join(root, "disfa"), results: null, curves: null });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("scores fold 1, seed 0's curves exactly as `maskau reproduce fig3` scored the shipped models (src/data/fig3*.json)", () => {
    const f = readLedgerEvals("results/paper/bp4d").find((e) => e.fold === 1 && e.seed === 0)!;
    expect(f.curves?.length).toBe(4 * (7 + 5));
    for (const [curve, record] of [["random", "fig3.json"], ["block", "fig3-block.json"]] as const) {
      const points = checkFig3(JSON.parse(readFileSync(`src/data/${record}`, "utf8")), record).points;
      for (const p of points) {
        const ours = f.curves!.find((r) => r.curve === curve && r.condition === p.condition && r.occlusion === p.occlusion)!;
        // Occluded faces are the same bytes: the same F1. Composites depend on the float rounding
        // of the kernels that computed them (composites.ts: a few bytes of 41 M differ between
        // builds), which turns a face or two (measured: 4 of 48 points differ, mean F1 by at most
        // 4e-5, one AU's F1 by at most 5e-4).
        const exact = p.input === "occluded";
        expect(ours.meanF1, `${curve} ${p.condition} ${p.occlusion}`).toBeCloseTo(p.meanF1, exact ? 12 : 4);
        expect(ours.f1).toEqual(p.f1.map((v) => expect.closeTo(v, exact ? 12 : 3)));
      }
      expect(points).toHaveLength(f.curves!.filter((r) => r.curve === curve).length);
    }
  });
});
