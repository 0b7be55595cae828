// The part of @saehrimnir/druidjs 0.7.3 that src/lib/project uses (the package ships
// JavaScript with JSDoc only). Matrices are row-major Float64Array underneath.
declare module "@saehrimnir/druidjs" {
  export class Matrix {
    constructor(rows: number, cols: number, value?: number | "zeros" | ((row: number, col: number) => number));
    readonly shape: [number, number];
    /** The entries, row-major (the matrix's own storage, not a copy). */
    readonly values: Float64Array;
  }

  interface DimRed {
    /** Computes what the optimisation needs (distances, affinities) unless done already; generator and transform call it. */
    check_init(): this;
    /** Runs `iterations` optimisation steps, yielding the projection after each. */
    generator(iterations?: number): Generator<Matrix, Matrix, void>;
    transform(iterations?: number): Matrix;
  }

  export class TSNE implements DimRed {
    constructor(X: Matrix, parameters?: { perplexity?: number; epsilon?: number; d?: number; seed?: number });
    check_init(): this;
    generator(iterations?: number): Generator<Matrix, Matrix, void>;
    transform(iterations?: number): Matrix;
  }

  export class UMAP implements DimRed {
    constructor(
      X: Matrix,
      parameters?: { n_neighbors?: number; local_connectivity?: number; min_dist?: number; d?: number; seed?: number; _n_epochs?: number },
    );
    check_init(): this;
    generator(iterations?: number): Generator<Matrix, Matrix, void>;
    transform(iterations?: number): Matrix;
  }
}
