// Tables of plain rows as CSV, JSON and Arrow (IPC file format) downloads. Arrow and CSV
// are written by arquero (its browser build, which bundles @uwdata/flechette for Arrow:
// no fetch, no string evaluation), so the bytes are what arquero and apache-arrow read.
import arqueroDefault from "arquero/dist/arquero.min.js";
import { downloadBlob } from "./download.js";
import { el } from "./element.js";

/** See dataset-table.ts: bundled, the UMD file's default export is the API; as a plain ES module it installs a global. */
const aq: typeof arqueroDefault = arqueroDefault ?? (globalThis as { aq?: typeof arqueroDefault }).aq!;

export type Row = Record<string, string | number | boolean | null>;

/** The rows as an arquero table with the columns in the first row's order (every key of any row). */
function tableOf(rows: Row[]) {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return aq.table(Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n] ?? null)])));
}

export function rowsCsv(rows: Row[]): string {
  return aq.toCSV(tableOf(rows));
}

export function rowsJson(rows: Row[]): string {
  return JSON.stringify(rows, null, 2) + "\n";
}

/** Arrow IPC file bytes. */
export function rowsArrow(rows: Row[]): Uint8Array {
  return aq.toArrowIPC(tableOf(rows), { format: "file" }) as Uint8Array;
}

/** Buttons that download `rows` as `<stem>.csv`, `.json` and `.arrow` (class maskau-downloads, data-table = stem). */
export function TableDownloads(stem: string, rows: Row[], label = "Download"): HTMLElement {
  const button = (format: string, make: () => void) => {
    const b = el("button", { type: "button", textContent: format });
    b.dataset.format = format.toLowerCase();
    b.addEventListener("click", make);
    return b;
  };
  const root = el(
    "div",
    { className: "maskau-downloads" },
    el("span", { className: "muted", textContent: `${label} (${rows.length} rows): ` }),
    button("CSV", () => downloadBlob(rowsCsv(rows), `${stem}.csv`, "text/csv")),
    button("JSON", () => downloadBlob(rowsJson(rows), `${stem}.json`, "application/json")),
    button("Arrow", () => downloadBlob(rowsArrow(rows) as Uint8Array<ArrayBuffer>, `${stem}.arrow`, "application/vnd.apache.arrow.file")),
  );
  root.dataset.table = stem;
  return root;
}
