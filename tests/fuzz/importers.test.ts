// Fuzzing the dataset importers: the CSV reader (src/lib/data/csv.ts), the CSV importer
// (import-csv.ts) and the ME-GraphAU list importer (import-megraphau.ts). Generated valid
// inputs (quoted fields, CRLF, a BOM, shuffled and extra columns, AU names in any case,
// intensity or occurrence values, fold columns 1-based or 0-based, train lists) import to
// exactly the frames, labels, subjects and folds they were written from; mutated inputs
// (text edits, blanked cells, corrupted images) either import completely or are refused
// with a DataImportError, never a TypeError or a partial dataset.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { FACS_AUS } from "../../src/lib/data/aus.js";
import { csvField, parseCsv } from "../../src/lib/data/csv.js";
import { validateDataset, type AUDataset } from "../../src/lib/data/dataset.js";
import { memoryFileSource, type MemoryFile } from "../../src/lib/data/files.js";
import { encodePngRGB } from "../../src/lib/data/image-codec.js";
import { importCsv } from "../../src/lib/data/import-csv.js";
import { DataImportError } from "../../src/lib/data/import-error.js";
import { importMeGraphAU, listFileName } from "../../src/lib/data/import-megraphau.js";
import { byteMutation, mutateBytes, mutateText, textMutation } from "./support/mutate.js";
import { FUZZ_LABEL, fuzzParams, typedOutcomeAsync } from "./support/settings.js";

const SIZE = 4;
const PNG = encodePngRGB(Uint8Array.from({ length: SIZE * SIZE * 3 }, (_, i) => (i * 37) % 256), SIZE, SIZE);
const BP4D_AUS = [1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24];

/** A dataset that an import accepted is complete and consistent. */
function expectComplete(ds: AUDataset, frames: number): void {
  validateDataset(ds);
  expect(ds.subject.length).toBe(frames);
  expect(ds.paths!.length).toBe(frames);
  expect(new Set(ds.paths).size).toBe(frames);
}

// ---------------------------------------------------------------------------------
// CSV reader

const cell = fc.string({ unit: fc.constantFrom("a", "Z", "0", " ", ",", '"', "\n", "\r", "\r\n", "é", "\t", ";"), maxLength: 6 });

describe(`CSV reader fuzzing (${FUZZ_LABEL})`, () => {
  test.prop([fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { maxLength: 6 }), fc.constantFrom("\n", "\r\n"), fc.boolean(), fc.boolean()], fuzzParams())(
    "csvField + join reads back to the same records, with the line each record starts on",
    (records, eol, bom, trailing) => {
      // A record of one empty field is a blank line, which readers skip; it is not generated.
      const kept = records.filter((r) => !(r.length === 1 && r[0] === ""));
      const lines = kept.map((r) => r.map(csvField).join(","));
      const text = (bom ? "\uFEFF" : "") + lines.join(eol) + (trailing ? eol : "");
      const parsed = parseCsv(text);
      expect(parsed.map((r) => r.fields)).toEqual(kept);
      let line = 1;
      parsed.forEach((r, i) => {
        expect(r.line).toBe(line);
        line += (lines[i].match(/\r\n|\r|\n/g) ?? []).length + 1;
      });
    },
  );

  test.prop([fc.string({ unit: fc.constantFrom("a", ",", '"', "\n", "\r", " ", "\uFEFF", "x"), maxLength: 40 })], fuzzParams(0.5))(
    "any text parses to records with increasing line numbers",
    (text) => {
      const records = parseCsv(text);
      for (let i = 1; i < records.length; i++) expect(records[i].line).toBeGreaterThan(records[i - 1].line);
      for (const r of records) expect(r.fields.length).toBeGreaterThan(0);
    },
  );
});

// ---------------------------------------------------------------------------------
// CSV importer

interface CsvCase {
  text: string;
  files: Map<string, MemoryFile>;
  /** Cells by row (data rows), in header column order, before quoting. */
  rows: string[][];
  header: string[];
  expected: { aus: number[]; paths: string[]; subjects: string[]; labels: number[]; intensities: number[] | null; fold: number[] | null };
}

const subjectId = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_,"é ]{0,4}[A-Za-z0-9]$/);

const csvCase: fc.Arbitrary<CsvCase> = fc
  .record({
    subjects: fc.uniqueArray(subjectId, { minLength: 1, maxLength: 4 }),
    aus: fc.uniqueArray(fc.constantFrom(...FACS_AUS), { minLength: 1, maxLength: 4 }),
    auStyle: fc.constantFrom("AU", "au", "Au", "AU0"),
    intensity: fc.boolean(),
    foldColumn: fc.constantFrom("none", "1-based", "0-based"),
    sequenceColumns: fc.boolean(),
    extraColumn: fc.boolean(),
    eol: fc.constantFrom("\n", "\r\n"),
    bom: fc.boolean(),
    seed: fc.nat(),
  })
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      frames: fc.array(
        fc.record({ subject: fc.nat(c.subjects.length - 1), values: fc.array(fc.integer({ min: 0, max: c.intensity ? 5 : 1 }), { minLength: c.aus.length, maxLength: c.aus.length }), note: cell }),
        { minLength: 1, maxLength: 6 },
      ),
      order: fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7], { minLength: 8, maxLength: 8 }),
    }),
  )
  .map(({ c, frames, order }) => {
    const foldOf = (s: number) => (c.seed + s) % 3; // 0-based fold of subject s
    const columns: { name: string; value: (i: number) => string }[] = [
      { name: "path", value: (i) => `s${frames[i].subject}/seq${i % 2}/${i}.png` },
      { name: "subject", value: (i) => c.subjects[frames[i].subject] },
      ...c.aus.map((au, a) => ({ name: `${c.auStyle}${au}`, value: (i: number) => String(frames[i].values[a]) })),
    ];
    if (c.foldColumn !== "none") columns.push({ name: "Fold", value: (i) => String(foldOf(frames[i].subject) + (c.foldColumn === "1-based" ? 1 : 0)) });
    if (c.sequenceColumns) {
      columns.push({ name: "sequence", value: (i) => `seq${i % 2}` });
      columns.push({ name: "frame", value: (i) => String(i * 10) });
    }
    if (c.extraColumn) columns.push({ name: "notes", value: (i) => frames[i].note });
    const shuffled = order.filter((k) => k < columns.length).map((k) => columns[k]);
    const cols = [...shuffled, ...columns.slice(8)];
    const header = cols.map((col) => col.name);
    const rows = frames.map((_, i) => cols.map((col) => col.value(i)));
    const text = (c.bom ? "\uFEFF" : "") + [header, ...rows].map((r) => r.map(csvField).join(",")).join(c.eol) + c.eol;
    const files = new Map<string, MemoryFile>([["data/labels.csv", text]]);
    frames.forEach((_, i) => files.set(`data/${columns[0].value(i)}`, PNG));
    // A 0-based fold column is only recognisable as such when some row says 0.
    const zeroBased = c.foldColumn === "0-based" && frames.some((f) => foldOf(f.subject) === 0);
    const usable = c.foldColumn === "none" || c.foldColumn === "1-based" || zeroBased;
    const aus = [...c.aus].sort((a, b) => a - b);
    const subjects = [...new Set(frames.map((f) => c.subjects[f.subject]))].sort();
    const byAu = (f: (typeof frames)[number]) => aus.map((au) => f.values[c.aus.indexOf(au)]);
    const intensity = c.intensity && frames.some((f) => f.values.some((v) => v > 1));
    return {
      text,
      files,
      rows,
      header,
      expected: {
        aus,
        subjects,
        paths: frames.map((_, i) => columns[0].value(i)),
        labels: frames.flatMap((f) => byAu(f).map((v) => (v >= 1 ? 1 : 0))),
        intensities: intensity ? frames.flatMap(byAu) : null,
        fold: c.foldColumn === "none" || !usable ? null : frames.map((f) => foldOf(f.subject)),
      },
    };
  });

const importCsvCase = (files: Map<string, MemoryFile>) => importCsv(memoryFileSource(files, "fuzz"), { file: "data/labels.csv", size: SIZE });

describe(`CSV importer fuzzing (${FUZZ_LABEL})`, () => {
  test.prop([csvCase], fuzzParams(0.5))("a generated CSV imports to exactly its frames, labels, subjects and folds", async (g) => {
    const got = await typedOutcomeAsync(() => importCsvCase(g.files), [DataImportError], "labels.csv");
    if (g.expected.subjects.length < 3 && g.expected.fold === null && !g.header.some((h) => h.toLowerCase() === "fold")) {
      // Without a fold column, folds are made from subjects: 3 folds need 3 subjects.
      expect(!got.ok && /cannot fill 3 subject-exclusive folds/.test(got.error.message)).toBe(true);
      return;
    }
    if (!got.ok) throw got.error;
    const ds = got.value;
    expectComplete(ds, g.expected.paths.length);
    expect(ds.aus).toEqual(g.expected.aus);
    expect(ds.paths).toEqual(g.expected.paths);
    expect(ds.subjects).toEqual(g.expected.subjects);
    expect(Array.from(ds.labels)).toEqual(g.expected.labels);
    expect(ds.intensities && Array.from(ds.intensities)).toEqual(g.expected.intensities);
    if (g.expected.fold) expect(Array.from(ds.fold)).toEqual(g.expected.fold);
  });

  test.prop([csvCase, fc.array(textMutation, { minLength: 1, maxLength: 4 })], fuzzParams(0.5))(
    "CSV text edited: a complete dataset or a DataImportError",
    async (g, mutations) => {
      const files = new Map(g.files);
      files.set("data/labels.csv", mutateText(g.text, mutations));
      const got = await typedOutcomeAsync(() => importCsvCase(files), [DataImportError], "labels.csv");
      if (got.ok) expectComplete(got.value, got.value.subject.length);
    },
  );

  test.prop([csvCase, fc.nat(), fc.nat(), fc.constantFrom("", " ", "  \t")], fuzzParams(0.5))(
    "a blank cell in a column the importer reads is refused, never read as 0",
    async (g, r, k, blank) => {
      const row = r % g.rows.length;
      const col = k % g.header.length;
      const name = g.header[col].toLowerCase();
      if (name === "notes" || name === "sequence") return; // free text
      const rows = g.rows.map((cells) => [...cells]);
      rows[row][col] = blank;
      const files = new Map(g.files);
      files.set("data/labels.csv", [g.header, ...rows].map((cells) => cells.map(csvField).join(",")).join("\n"));
      const got = await typedOutcomeAsync(() => importCsvCase(files), [DataImportError], "labels.csv");
      expect(got.ok, `blank ${g.header[col]} on data row ${row + 1} was accepted`).toBe(false);
      if (!got.ok) expect(got.error.message).toMatch(/:\d+: /);
    },
  );

  test.prop([csvCase, fc.nat(), fc.array(byteMutation, { minLength: 1, maxLength: 3 })], fuzzParams(0.3))(
    "a corrupted image: a complete dataset or a DataImportError naming the CSV line",
    async (g, pick, mutations) => {
      const files = new Map(g.files);
      const images = [...files.keys()].filter((p) => p.endsWith(".png"));
      const path = images[pick % images.length];
      files.set(path, mutateBytes(PNG, mutations));
      const got = await typedOutcomeAsync(() => importCsvCase(files), [DataImportError], "labels.csv");
      if (got.ok) expectComplete(got.value, g.expected.paths.length);
    },
  );
});

// ---------------------------------------------------------------------------------
// ME-GraphAU lists

interface ListCase {
  files: Map<string, MemoryFile>;
  expected: { paths: string[]; labels: number[]; fold: number[]; subjects: string[] };
}

const listCase: fc.Arbitrary<ListCase> = fc
  .record({
    subjects: fc.uniqueArray(fc.stringMatching(/^[FM]\d{3}$/), { minLength: 1, maxLength: 5 }),
    separator: fc.constantFrom(" ", ",", "  ", "\t"),
    eol: fc.constantFrom("\n", "\r\n"),
    trainLists: fc.boolean(),
    seed: fc.nat(),
  })
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      frames: fc.array(fc.record({ subject: fc.nat(c.subjects.length - 1), labels: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 12, maxLength: 12 }) }), {
        minLength: 1,
        maxLength: 8,
      }),
    }),
  )
  .map(({ c, frames }) => {
    const foldOf = (s: number) => ((c.seed + s) % 3) + 1;
    const rows = frames.map((f, i) => ({ path: `${c.subjects[f.subject]}/T${i % 2}/${i}.png`, labels: f.labels, fold: foldOf(f.subject) }));
    const files = new Map<string, MemoryFile>();
    const write = (split: "train" | "test", fold: number, chosen: typeof rows) => {
      files.set(`list/${listFileName("BP4D", split, "img_path", fold)}`, chosen.map((r) => r.path).join(c.eol) + c.eol);
      files.set(`list/${listFileName("BP4D", split, "label", fold)}`, chosen.map((r) => r.labels.join(c.separator)).join(c.eol) + c.eol);
    };
    for (let k = 1; k <= 3; k++) {
      write("test", k, rows.filter((r) => r.fold === k));
      if (c.trainLists) write("train", k, rows.filter((r) => r.fold !== k));
    }
    for (const r of rows) files.set(`img/${r.path}`, PNG);
    const ordered = [1, 2, 3].flatMap((k) => rows.filter((r) => r.fold === k));
    return {
      files,
      expected: {
        paths: ordered.map((r) => r.path),
        labels: ordered.flatMap((r) => r.labels),
        fold: ordered.map((r) => r.fold - 1),
        subjects: [...new Set(rows.map((r) => r.path.split("/")[0]))].sort(),
      },
    };
  });

const importLists = (files: Map<string, MemoryFile>) => importMeGraphAU(memoryFileSource(files, "fuzz"), { dataset: "BP4D", size: SIZE });

describe(`ME-GraphAU list importer fuzzing (${FUZZ_LABEL})`, () => {
  test.prop([listCase], fuzzParams(0.5))("generated lists import to exactly their frames, labels, subjects and folds", async (g) => {
    const got = await typedOutcomeAsync(() => importLists(g.files), [DataImportError], "BP4D");
    if (!got.ok) throw got.error;
    const ds = got.value;
    expectComplete(ds, g.expected.paths.length);
    expect(ds.aus).toEqual(BP4D_AUS);
    expect(ds.paths).toEqual(g.expected.paths);
    expect(Array.from(ds.labels)).toEqual(g.expected.labels);
    expect(Array.from(ds.fold)).toEqual(g.expected.fold);
    expect(ds.subjects).toEqual(g.expected.subjects);
  });

  test.prop([listCase, fc.nat(), fc.array(textMutation, { minLength: 1, maxLength: 4 })], fuzzParams(0.5))(
    "a list file edited: a complete dataset or a DataImportError",
    async (g, pick, mutations) => {
      const files = new Map(g.files);
      const lists = [...files.keys()].filter((p) => p.startsWith("list/"));
      const file = lists[pick % lists.length];
      files.set(file, mutateText(files.get(file) as string, mutations));
      const got = await typedOutcomeAsync(() => importLists(files), [DataImportError], "BP4D");
      if (got.ok) expectComplete(got.value, got.value.subject.length);
    },
  );
});
