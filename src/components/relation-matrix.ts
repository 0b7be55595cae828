// An AU x AU matrix (relation graph, co-occurrence) as a Plot cell chart: row i, column j,
// a value per cell, labelled when the cells are large enough.
import * as Plot from "@observablehq/plot";

export interface RelationMatrixOptions {
  width?: number;
  /** What a cell's value is (the colour legend's label). */
  label: string;
  domain?: [number, number];
  scheme?: string;
  /** A value as written in its cell. */
  format?: (v: number) => string;
  /** A cell's tooltip (default "AU i → AU j: value"). */
  title?: (i: number, j: number, v: number | null) => string;
  /** Axis labels. Default "AU j →" and "AU i ↓". */
  axes?: { x: string; y: string };
  /** The legend's tick format (e.g. "%"). */
  legendFormat?: string;
  /** Widest cell, in pixels. Default 34. */
  cellSize?: number;
}

/** A [N][N] matrix as a Plot cell chart (row i, column j), values in `domain`; null or NaN cells are "–". */
export function RelationMatrix(aus: number[], matrix: (number | null)[][], options: RelationMatrixOptions): Element {
  const { width = 360, label, domain = [0, 1], scheme = "blues", format = (v: number) => Math.round(v * 100).toString(), title } = options;
  const { axes = { x: "AU j →", y: "AU i ↓" }, legendFormat, cellSize = 34 } = options;
  const names = aus.map(String);
  const cells = aus.flatMap((_, i) => aus.map((__, j) => {
    const v = matrix[i]?.[j];
    return { i, j, row: names[i], col: names[j], v: v === null || v === undefined || !Number.isFinite(v) ? null : v };
  }));
  const side = Math.max(240, Math.min(width, 60 + names.length * cellSize));
  const cell = (side - 56) / names.length;
  return Plot.plot({
    width: side,
    height: side - 4,
    marginLeft: 40,
    marginTop: 36,
    marginRight: 6,
    marginBottom: 6,
    padding: 0.04,
    x: { domain: names, axis: "top", label: axes.x, labelAnchor: "right", tickSize: 0 },
    y: { domain: names, label: axes.y, labelAnchor: "top", tickSize: 0 },
    color: { type: "linear", domain, scheme: scheme as Plot.ColorScheme, legend: true, label, tickFormat: legendFormat },
    marks: [
      Plot.cell(cells, { x: "col", y: "row", fill: "v", inset: 0.5, title: (d: { i: number; j: number; v: number | null }) => (title ? title(d.i, d.j, d.v) : `AU${aus[d.i]} → AU${aus[d.j]}: ${d.v === null ? "–" : format(d.v)}`) }),
      cell >= 20
        ? Plot.text(cells, {
            x: "col",
            y: "row",
            text: (d: { v: number | null }) => (d.v === null ? "–" : format(d.v)),
            fill: (d: { v: number | null }) => ((d.v ?? 0) > domain[0] + 0.55 * (domain[1] - domain[0]) ? "white" : "#333"),
            fontSize: cell >= 30 ? 9.5 : 8,
          })
        : null,
    ],
  });
}
