// Importer for a CSV of labelled images: one row per image with columns
//   path      image path relative to the image folder (required)
//   subject   subject id (required)
//   AU1, AU2, AU12, ...   one column per AU: occurrence 0/1, or intensity 0-5
//   fold      (optional) test fold 1..k (or 0..k-1); otherwise subjects are assigned
//             to k subject-exclusive folds by a seeded shuffle
//   sequence, frame (optional) video sequence name and frame number
// Column names are matched case-insensitively; any other columns are ignored.
import { PRESETS, isFacsAU, parseAUName, type PresetName } from "./aus.js";
import { parseCsv } from "./csv.js";
import type { AUDataset } from "./dataset.js";
import { joinPath, type FileSource } from "./files.js";
import { assignSubjectFolds } from "./folds.js";
import { ProblemList } from "./import-error.js";
import { loadImages, sequenceAndFrame, type ImageRef } from "./import-images.js";
import type { ResizeMethod } from "./resize.js";

export interface CsvImportOptions {
  /** The CSV file (path within the source). */
  file: string;
  /** Folder the image paths are relative to. Default: the CSV's folder. */
  imageDir?: string;
  /** Dataset name. Default: the CSV file name without extension. */
  name?: string;
  /** A preset fixes the AU list and the occurrence threshold (BP4D >= 1, DISFA >= 2). */
  preset?: PresetName;
  /** AUs to import, in this column order. Default: the preset's, else every AU column. */
  aus?: number[];
  /** How to read AU values. "auto": 0/1 everywhere = occurrence, otherwise intensity. Default "auto". */
  values?: "auto" | "occurrence" | "intensity";
  /** Intensity at which an AU occurs (intensity data). Default: the preset's, else 1. */
  occurrenceThreshold?: number;
  /** Folds. Default 3. */
  folds?: number;
  /** Seed of the subject-to-fold assignment when there is no fold column. Default 0. */
  seed?: number;
  size?: number;
  resize?: ResizeMethod;
  delimiter?: string;
  onProgress?: (done: number, total: number) => void;
}

export async function importCsv(source: FileSource, options: CsvImportOptions): Promise<AUDataset> {
  const file = options.file;
  const problems = new ProblemList();
  if (!(await source.exists(file))) {
    problems.add(file, undefined, `CSV file not found in ${source.label}`);
    problems.throwIfAny();
  }
  const records = parseCsv(await source.readText(file), options.delimiter ?? ",");
  if (records.length === 0) {
    problems.add(file, undefined, "the file is empty: expected a header row (path,subject,AU1,...)");
    problems.throwIfAny();
  }
  const header = records[0].fields.map((h) => h.trim());
  const lower = header.map((h) => h.toLowerCase());
  const col = (name: string) => lower.indexOf(name);
  const pathCol = col("path");
  const subjectCol = col("subject");
  const foldCol = col("fold");
  const seqCol = col("sequence");
  const frameCol = col("frame");
  if (pathCol < 0) problems.add(file, records[0].line, `no "path" column in the header (columns: ${header.join(", ")})`);
  if (subjectCol < 0) problems.add(file, records[0].line, `no "subject" column in the header (columns: ${header.join(", ")})`);

  // AU columns: any header starting with "AU".
  const auColumns = new Map<number, number>();
  header.forEach((h, i) => {
    if (!/^au/i.test(h)) return;
    const au = parseAUName(h);
    if (au === undefined || !isFacsAU(au)) {
      problems.add(file, records[0].line, `unknown AU column "${h}": not a FACS action unit (expected names like AU1, AU12)`);
    } else if (auColumns.has(au)) {
      problems.add(file, records[0].line, `AU${au} appears in two columns`);
    } else {
      auColumns.set(au, i);
    }
  });
  const preset = options.preset ? PRESETS[options.preset] : undefined;
  const aus = options.aus ?? preset?.aus.slice() ?? [...auColumns.keys()].sort((a, b) => a - b);
  for (const au of aus) {
    if (!isFacsAU(au)) problems.add("options.aus", undefined, `unknown AU AU${au}: not a FACS action unit`);
    else if (!auColumns.has(au)) problems.add(file, records[0].line, `unknown AU: AU${au} was asked for but there is no AU${au} column`);
  }
  if (aus.length === 0) problems.add(file, records[0].line, "no AU columns (expected columns such as AU1, AU2, AU12)");
  problems.throwIfAny();

  const A = aus.length;
  const folds = options.folds ?? 3;
  interface Row { line: number; path: string; subject: string; values: number[]; fold: number | null; sequence: string | null; frame: number | null }
  const rows: Row[] = [];
  for (const rec of records.slice(1)) {
    if (rec.fields.length !== header.length) {
      problems.add(file, rec.line, `wrong number of columns: the header has ${header.length}, this row has ${rec.fields.length}`);
      continue;
    }
    const f = rec.fields.map((x) => x.trim());
    const path = joinPath(f[pathCol]);
    const subject = f[subjectCol];
    let ok = true;
    if (!f[pathCol]) {
      problems.add(file, rec.line, "empty path");
      ok = false;
    }
    if (!subject) {
      problems.add(file, rec.line, "empty subject");
      ok = false;
    }
    const values: number[] = [];
    for (const au of aus) {
      const raw = f[auColumns.get(au)!];
      const v = Number(raw);
      if (raw === "" || !Number.isInteger(v) || v < 0 || v > 5) {
        problems.add(file, rec.line, `AU${au} value "${raw}" is not an integer label 0/1 or intensity 0-5`);
        ok = false;
      } else if (options.values === "occurrence" && v > 1) {
        problems.add(file, rec.line, `AU${au} value "${raw}" is not 0 or 1 (values: "occurrence")`);
        ok = false;
      }
      values.push(v);
    }
    let fold: number | null = null;
    if (foldCol >= 0) {
      // Number("") is 0: a blank cell must not read as fold 0.
      const v = f[foldCol] === "" ? NaN : Number(f[foldCol]);
      if (!Number.isInteger(v) || v < 0 || v > folds) {
        problems.add(file, rec.line, `fold "${f[foldCol]}" is not a fold number 1..${folds}`);
        ok = false;
      } else fold = v;
    }
    const frameValue = frameCol >= 0 ? (f[frameCol] === "" ? NaN : Number(f[frameCol])) : null;
    // Frames are stored as int32.
    if (frameValue !== null && !(Number.isInteger(frameValue) && frameValue >= -(2 ** 31) && frameValue < 2 ** 31)) {
      problems.add(file, rec.line, `frame "${f[frameCol]}" is not an integer frame number`);
      ok = false;
    }
    if (ok) rows.push({ line: rec.line, path, subject, values, fold, sequence: seqCol >= 0 ? f[seqCol] : null, frame: frameValue });
  }
  if (records.length === 1) problems.add(file, undefined, "no data rows after the header");

  // Fold numbers: 1..k, or 0..k-1 when some row says 0.
  const zeroBased = rows.some((r) => r.fold === 0);
  if (zeroBased) {
    for (const r of rows) {
      if (r.fold === folds) problems.add(file, r.line, `fold ${folds} is out of range for 0-based folds 0..${folds - 1}`);
    }
  }
  const seen = new Map<string, Row>();
  const subjectFold = new Map<string, Row>();
  for (const r of rows) {
    const dup = seen.get(r.path);
    if (dup) problems.add(file, r.line, `image ${r.path} is already listed on line ${dup.line}`);
    seen.set(r.path, r);
    if (r.fold === null) continue;
    const first = subjectFold.get(r.subject);
    if (!first) subjectFold.set(r.subject, r);
    else if (first.fold !== r.fold) {
      problems.add(file, r.line, `subject ${r.subject} is in fold ${r.fold} here and in fold ${first.fold} on line ${first.line}: folds must be subject-exclusive`);
    }
  }
  const isIntensity =
    options.values === "intensity" || (options.values !== "occurrence" && rows.some((r) => r.values.some((v) => v > 1)));
  const threshold = options.occurrenceThreshold ?? preset?.occurrenceThreshold ?? 1;
  const subjects = [...new Set(rows.map((r) => r.subject))].sort();
  if (foldCol < 0 && rows.length > 0 && subjects.length < folds) {
    problems.add(file, undefined, `${subjects.length} subject${subjects.length === 1 ? "" : "s"} cannot fill ${folds} subject-exclusive folds: add a "fold" column or ask for fewer folds`);
  }
  problems.throwIfAny();

  const subjectIndex = new Map(subjects.map((s, i) => [s, i]));
  let foldOf: (r: Row) => number;
  if (foldCol >= 0) {
    foldOf = (r) => (zeroBased ? r.fold! : r.fold! - 1);
  } else {
    const assigned = assignSubjectFolds(subjects, folds, options.seed ?? 0);
    foldOf = (r) => assigned[subjectIndex.get(r.subject)!];
  }

  const refs: ImageRef[] = rows.map((r) => ({ path: r.path, listedIn: file, line: r.line }));
  const slash = file.replace(/\\/g, "/").lastIndexOf("/");
  const imageDir = options.imageDir ?? (slash >= 0 ? file.slice(0, slash) : "");
  const size = options.size ?? 64;
  const images = await loadImages(source, refs, problems, { imageDir, size, resize: options.resize, onProgress: options.onProgress });
  problems.throwIfAny();

  const n = rows.length;
  const labels = new Uint8Array(n * A);
  const intensities = isIntensity ? new Uint8Array(n * A) : null;
  rows.forEach((r, i) => {
    r.values.forEach((v, a) => {
      labels[i * A + a] = isIntensity ? (v >= threshold ? 1 : 0) : v;
      if (intensities) intensities[i * A + a] = v;
    });
  });
  // Sequence/frame from columns when present, else from the path.
  let sequence: Int32Array;
  let frame: Int32Array;
  if (seqCol >= 0) {
    const ids = new Map<string, number>();
    sequence = Int32Array.from(rows.map((r) => {
      const key = `${r.subject}\u0000${r.sequence}`;
      if (!ids.has(key)) ids.set(key, ids.size);
      return ids.get(key)!;
    }));
    frame = Int32Array.from(rows.map((r, i) => r.frame ?? i));
  } else {
    ({ sequence, frame } = sequenceAndFrame(rows.map((r) => r.path)));
    if (frameCol >= 0) frame = Int32Array.from(rows.map((r, i) => r.frame ?? frame[i]));
  }
  const base = file.replace(/\\/g, "/").split("/").pop()!.replace(/\.[^.]*$/, "");
  return {
    name: options.name ?? base,
    size,
    images,
    aus: aus.slice(),
    labels,
    intensities,
    occurrenceThreshold: isIntensity ? threshold : null,
    subjects,
    subject: Int32Array.from(rows.map((r) => subjectIndex.get(r.subject)!)),
    sequence,
    frame,
    fold: Int8Array.from(rows.map(foldOf)),
    folds,
    paths: rows.map((r) => r.path),
    source: { kind: "csv", config: { file, imageDir, aus, values: isIntensity ? "intensity" : "occurrence", occurrenceThreshold: threshold, folds, size, source: source.label } },
  };
}
