// Fixed 2-D sine-cosine position embedding of the official MAE (util/pos_embed.py),
// computed in float64 and rounded to float32 once at the end.
//
// Layout for a g x g grid and width D (D % 4 == 0), with an optional cls row 0 of zeros:
// token 1 + l, l = i*g + j (grid row i, column j):
//   dims [0, D/2)  encode the column j, dims [D/2, D) encode the row i
//   (numpy's meshgrid(w, h) puts w first);
//   within each half: D/4 sines then D/4 cosines of pos * omega_k,
//   omega_k = 1 / 10000^(k / (D/4)), k = 0 .. D/4 - 1.

/** The [(cls ? 1 : 0) + g*g, D] table, row-major, as float32. */
export function sinCosPosEmbed2d(embedDim: number, gridSize: number, clsToken = true): Float32Array {
  if (embedDim % 4 !== 0) throw new Error(`sin-cos position embedding: the width ${embedDim} must be divisible by 4`);
  const quarter = embedDim / 4;
  const omega = new Float64Array(quarter);
  for (let k = 0; k < quarter; k++) omega[k] = 1 / Math.pow(10000, k / quarter);
  const offset = clsToken ? 1 : 0;
  const out = new Float32Array((offset + gridSize * gridSize) * embedDim);
  for (let i = 0; i < gridSize; i++) {
    for (let j = 0; j < gridSize; j++) {
      const row = (offset + i * gridSize + j) * embedDim;
      for (let k = 0; k < quarter; k++) {
        const a = j * omega[k];
        const b = i * omega[k];
        out[row + k] = Math.sin(a);
        out[row + quarter + k] = Math.cos(a);
        out[row + 2 * quarter + k] = Math.sin(b);
        out[row + 3 * quarter + k] = Math.cos(b);
      }
    }
  }
  return out;
}
