// A small CSV reader (RFC 4180: quoted fields, doubled quotes, CRLF or LF),
// keeping the 1-based line number of each record for error messages.

export interface CsvRecord {
  line: number;
  fields: string[];
}

export function parseCsv(text: string, delimiter = ","): CsvRecord[] {
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let sawAny = false;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        // Line breaks inside a quoted field count as outside: LF, CRLF (once) or a lone CR.
        if (ch === "\n" || (ch === "\r" && src[i + 1] !== "\n")) line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      sawAny = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = "";
      sawAny = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && src[i + 1] === "\n") i++;
      fields.push(field);
      if (sawAny || fields.some((f) => f !== "")) out.push({ line: recordLine, fields });
      fields = [];
      field = "";
      sawAny = false;
      line++;
      recordLine = line;
    } else {
      field += ch;
      sawAny = true;
    }
  }
  // The last record, when the text does not end with a line break: kept by the same rule
  // as the others (a record of empty fields such as "," is still a record).
  if (field !== "" || sawAny) {
    fields.push(field);
    out.push({ line: recordLine, fields });
  }
  return out;
}

/** Quotes a CSV field when needed. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
