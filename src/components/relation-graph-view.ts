// A relation graph as the Teacher page shows it: its matrix beside a node-link diagram of
// its strongest links, for a detector's learned graph and for the labels' co-occurrence.
import { EDGE_CLASSES, learnedRelations, strongestEdges, type RelationGraph } from "../lib/eval/relation-graph.js";
import { el } from "./element.js";
import { RelationDiagram } from "./relation-diagram.js";
import { RelationMatrix } from "./relation-matrix.js";

export interface GraphContext {
  aus: number[];
  /** Per-AU base rate, shading the diagram's nodes. */
  rates: number[];
}

/**
 * A detector's graph (ANFL: top-K neighbour frequencies; MEFL: implied co-occurrence) as a
 * caption, the matrix and the diagram; for MEFL also p(`edgeClass`) per pair.
 */
export function LearnedGraph(graph: (RelationGraph & { step?: number }) | null, { aus, rates, source, edgeClass = 3 }: GraphContext & { source: string; edgeClass?: number }): HTMLElement {
  const root = el("div", { className: "maskau-learned" });
  if (!graph) {
    root.append(el("p", { className: "muted", textContent: "Start a run above to see its graph." }));
    return root;
  }
  const view = learnedRelations(graph, 2 * aus.length);
  const head = graph.head === "anfl" ? "ANFL (stage 1)" : "MEFL (stage 2)";
  const at = graph.step !== undefined ? ` at step ${graph.step}` : "";
  const selfLinks = graph.head === "anfl" ? " (self-links left out: a node is usually its own most similar node)" : "";
  root.append(
    el("p", { className: "muted", textContent: `${head} of the ${source}${at}, averaged over ${graph.faces} held-out faces.` }),
    el(
      "div",
      { className: "maskau-graph-pair maskau-learned-graph" },
      RelationMatrix(aus, view.matrix, { label: view.label, width: 360 }),
      RelationDiagram(aus, view.edges, { size: 300, nodeValues: rates, weightLabel: view.describe, caption: `The ${view.edges.length} strongest links${selfLinks}; node shade: how often the AU occurs.` }),
    ),
  );
  if (graph.head === "mefl" && graph.edgeProbs) {
    const matrix = graph.edgeProbs.map((row) => row.map((p) => p[edgeClass]));
    root.append(RelationMatrix(aus, matrix, { label: `mean p(${EDGE_CLASSES[edgeClass]}) per pair, over the faces`, width: 360, scheme: "purples" }));
  }
  return root;
}

/** P(AU j | AU i) over the dataset's labels, and its strongest co-occurrences. */
export function LabelCooccurrence(conditional: number[][], { aus, rates }: GraphContext): HTMLElement {
  const edges = strongestEdges(conditional, { top: 2 * aus.length });
  return el(
    "div",
    { className: "maskau-graph-pair maskau-cooc-graph" },
    RelationMatrix(aus, conditional, { label: "P(AU j occurs | AU i occurs)", width: 360, scheme: "oranges" }),
    RelationDiagram(aus, edges, {
      size: 300,
      color: "#e8590c",
      nodeValues: rates,
      weightLabel: (w) => `mean of P(j|i) and P(i|j) = ${(100 * w).toFixed(0)}%`,
      caption: `The ${edges.length} strongest co-occurrences (P(j|i) and P(i|j) averaged).`,
    }),
  );
}
