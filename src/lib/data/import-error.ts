// Import errors that name the file, the line and the problem. Importers collect
// every problem they find and then refuse the whole import: no partial dataset
// is ever returned.

export interface ImportProblem {
  file: string;
  /** 1-based line number, when the problem is on a line. */
  line?: number;
  problem: string;
}

export function formatProblem(p: ImportProblem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ""}: ${p.problem}`;
}

/** Thrown when an import finds problems; `problems` lists them all. */
export class DataImportError extends Error {
  readonly problems: ImportProblem[];

  constructor(problems: ImportProblem[], shown = 20) {
    const head = `import refused: ${problems.length} problem${problems.length === 1 ? "" : "s"} found (nothing was imported)`;
    const lines = problems.slice(0, shown).map((p) => "  " + formatProblem(p));
    if (problems.length > shown) lines.push(`  ... and ${problems.length - shown} more`);
    super([head, ...lines].join("\n"));
    this.name = "DataImportError";
    this.problems = problems;
  }
}

/** Collects problems; `throwIfAny` raises them together. */
export class ProblemList {
  readonly items: ImportProblem[] = [];

  add(file: string, line: number | undefined, problem: string): void {
    this.items.push({ file, line, problem });
  }

  get count(): number {
    return this.items.length;
  }

  throwIfAny(): void {
    if (this.items.length > 0) throw new DataImportError(this.items);
  }
}
