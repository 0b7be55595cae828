// torch.optim.AdamW (single-tensor, amsgrad off) in float64, from the algorithm as
// documented by PyTorch, for checking src/lib/train/adamw.ts.

export interface AdamWReferenceOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Parameters that do not decay (a torch param group with weight_decay = 0). */
  noDecay?: string[];
}

export interface AdamWReferenceState {
  params: Record<string, Float64Array>;
  expAvg: Record<string, Float64Array>;
  expAvgSq: Record<string, Float64Array>;
}

/** Runs one update per entry of `grads` (with the matching learning rate) from `params`. */
export function adamwReference(
  params: Record<string, ArrayLike<number>>,
  grads: Record<string, ArrayLike<number>>[],
  lrs: number[],
  o: AdamWReferenceOptions,
): AdamWReferenceState {
  const p: Record<string, Float64Array> = {};
  const m: Record<string, Float64Array> = {};
  const v: Record<string, Float64Array> = {};
  for (const [name, values] of Object.entries(params)) {
    p[name] = Float64Array.from(values);
    m[name] = new Float64Array(values.length);
    v[name] = new Float64Array(values.length);
  }
  const [b1, b2] = o.betas;
  grads.forEach((g, t) => {
    const step = t + 1;
    const lr = lrs[t];
    const bc1 = 1 - b1 ** step;
    const bc2 = 1 - b2 ** step;
    for (const name of Object.keys(p)) {
      const wd = o.noDecay?.includes(name) ? 0 : o.weightDecay;
      for (let i = 0; i < p[name].length; i++) {
        p[name][i] *= 1 - lr * wd;
        m[name][i] = b1 * m[name][i] + (1 - b1) * g[name][i];
        v[name][i] = b2 * v[name][i] + (1 - b2) * g[name][i] * g[name][i];
        const denom = Math.sqrt(v[name][i]) / Math.sqrt(bc2) + o.eps;
        p[name][i] -= (lr / bc1) * (m[name][i] / denom);
      }
    }
  });
  return { params: p, expAvg: m, expAvgSq: v };
}
