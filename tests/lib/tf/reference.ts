// Float64 reference implementations for the parity suite and the kernel tests. Written
// from the definitions (TensorFlow conventions: NHWC, filters [KH, KW, CI, CO], SAME
// padding puts the odd pixel at the end), independent of tfjs.

export type Padding = "same" | "valid";

/** Padding before the first element and output length along one axis. */
export function padAndOut(inSize: number, k: number, stride: number, pad: Padding): { before: number; out: number } {
  if (pad === "valid") return { before: 0, out: Math.floor((inSize - k) / stride) + 1 };
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + k - inSize, 0);
  return { before: Math.floor(total / 2), out };
}

/** C = op(A) op(B) for a batch: a [batch, m, k] (or [batch, k, m] transposed), b likewise. */
export function matmul(
  a: ArrayLike<number>, b: ArrayLike<number>, batch: number, m: number, k: number, n: number,
  transposeA = false, transposeB = false,
): Float64Array {
  const c = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = transposeA ? a[t * k * m + p * m + i] : a[t * m * k + i * k + p];
          const bv = transposeB ? b[t * n * k + j * k + p] : b[t * k * n + p * n + j];
          s += av * bv;
        }
        c[t * m * n + i * n + j] = s;
      }
    }
  }
  return c;
}

export interface ConvShape {
  batch: number; height: number; width: number; inChannels: number;
  kh: number; kw: number; outChannels: number; stride: number; pad: Padding;
}

export function convOutShape(s: ConvShape): [number, number, number, number] {
  return [s.batch, padAndOut(s.height, s.kh, s.stride, s.pad).out, padAndOut(s.width, s.kw, s.stride, s.pad).out, s.outChannels];
}

/** Visits every (output position, tap) pair whose input pixel lies inside x. */
function forEachTap(
  s: ConvShape,
  visit: (xIndex: number, yIndex: number, wIndex: number) => void,
): void {
  const rows = padAndOut(s.height, s.kh, s.stride, s.pad);
  const cols = padAndOut(s.width, s.kw, s.stride, s.pad);
  for (let b = 0; b < s.batch; b++)
    for (let oy = 0; oy < rows.out; oy++)
      for (let ox = 0; ox < cols.out; ox++)
        for (let fy = 0; fy < s.kh; fy++) {
          const y = oy * s.stride + fy - rows.before;
          if (y < 0 || y >= s.height) continue;
          for (let fx = 0; fx < s.kw; fx++) {
            const x = ox * s.stride + fx - cols.before;
            if (x < 0 || x >= s.width) continue;
            for (let ci = 0; ci < s.inChannels; ci++)
              for (let co = 0; co < s.outChannels; co++)
                visit(
                  ((b * s.height + y) * s.width + x) * s.inChannels + ci,
                  ((b * rows.out + oy) * cols.out + ox) * s.outChannels + co,
                  ((fy * s.kw + fx) * s.inChannels + ci) * s.outChannels + co,
                );
          }
        }
}

/** Forward convolution and the gradients of sum(y * dy) with respect to x and w. */
export function conv2d(s: ConvShape, x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>) {
  const yShape = convOutShape(s);
  const y = new Float64Array(yShape.reduce((p, d) => p * d, 1));
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  forEachTap(s, (xi, yi, wi) => {
    y[yi] += x[xi] * w[wi];
    dx[xi] += dy[yi] * w[wi];
    dw[wi] += dy[yi] * x[xi];
  });
  return { y, dx, dw, yShape };
}

/** LayerNorm over the last axis (biased variance) and the gradients of sum(y * dy). */
export function layerNorm(
  x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, dy: ArrayLike<number>, d: number, eps: number,
) {
  const rows = x.length / d;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(d);
  const dbeta = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[o + i];
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) variance += (x[o + i] - mean) ** 2;
    variance /= d;
    const inv = 1 / Math.sqrt(variance + eps);
    const xhat = Array.from({ length: d }, (_, i) => (x[o + i] - mean) * inv);
    const g = Array.from({ length: d }, (_, i) => dy[o + i] * gamma[i]);
    const meanG = g.reduce((p, v) => p + v, 0) / d;
    const meanGX = g.reduce((p, v, i) => p + v * xhat[i], 0) / d;
    for (let i = 0; i < d; i++) {
      y[o + i] = xhat[i] * gamma[i] + beta[i];
      dx[o + i] = inv * (g[i] - meanG - xhat[i] * meanGX);
      dgamma[i] += dy[o + i] * xhat[i];
      dbeta[i] += dy[o + i];
    }
  }
  return { y, dx, dgamma, dbeta };
}

/** Softmax over the last axis and the gradient of sum(y * dy). */
export function softmax(x: ArrayLike<number>, dy: ArrayLike<number>, d: number) {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += d) {
    let max = -Infinity;
    for (let i = 0; i < d; i++) max = Math.max(max, x[o + i]);
    let sum = 0;
    for (let i = 0; i < d; i++) sum += (y[o + i] = Math.exp(x[o + i] - max));
    let dot = 0;
    for (let i = 0; i < d; i++) {
      y[o + i] /= sum;
      dot += y[o + i] * dy[o + i];
    }
    for (let i = 0; i < d; i++) dx[o + i] = y[o + i] * (dy[o + i] - dot);
  }
  return { y, dx };
}

/** erf in float64: Maclaurin series for |z| < 3, continued fraction of erfc beyond. */
export function erf(z: number): number {
  const a = Math.abs(z);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(z) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
  let f = a;
  for (let n = 80; n >= 1; n--) f = a + n / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(z) * (1 - erfc);
}

/** Exact GELU, x Phi(x), and its derivative times dy. */
export function gelu(x: ArrayLike<number>, dy: ArrayLike<number>) {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const cdf = 0.5 * (1 + erf(v / Math.SQRT2));
    const pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
    y[i] = v * cdf;
    dx[i] = dy[i] * (cdf + v * pdf);
  }
  return { y, dx };
}

/** Rows of a [rows, d] table picked by `indices`, and the table gradient of sum(out * dy). */
export function gather(table: ArrayLike<number>, d: number, indices: ArrayLike<number>, dy: ArrayLike<number>) {
  const y = new Float64Array(indices.length * d);
  const dtable = new Float64Array(table.length);
  for (let r = 0; r < indices.length; r++) {
    for (let i = 0; i < d; i++) {
      y[r * d + i] = table[indices[r] * d + i];
      dtable[indices[r] * d + i] += dy[r * d + i];
    }
  }
  return { y, dtable };
}

export function oneHot(indices: ArrayLike<number>, depth: number): Float64Array {
  const y = new Float64Array(indices.length * depth);
  for (let i = 0; i < indices.length; i++) y[i * depth + indices[i]] = 1;
  return y;
}

export interface PoolShape {
  batch: number; height: number; width: number; channels: number; size: number; stride: number; pad: Padding;
}

/**
 * Max or average pooling and the gradient of sum(y * dy). Max sends the gradient to the
 * first maximum of a window; average divides by the pixels inside the image (padding excluded).
 */
export function pool(kind: "max" | "avg", s: PoolShape, x: ArrayLike<number>, dy: ArrayLike<number>) {
  const rows = padAndOut(s.height, s.size, s.stride, s.pad);
  const cols = padAndOut(s.width, s.size, s.stride, s.pad);
  const y = new Float64Array(s.batch * rows.out * cols.out * s.channels);
  const argmax = new Float64Array(y.length); // flat NHWC index of each window's maximum (max only)
  const dx = new Float64Array(x.length);
  for (let b = 0; b < s.batch; b++)
    for (let oy = 0; oy < rows.out; oy++)
      for (let ox = 0; ox < cols.out; ox++)
        for (let c = 0; c < s.channels; c++) {
          const yi = ((b * rows.out + oy) * cols.out + ox) * s.channels + c;
          const inside: number[] = [];
          for (let fy = 0; fy < s.size; fy++) {
            const yy = oy * s.stride + fy - rows.before;
            if (yy < 0 || yy >= s.height) continue;
            for (let fx = 0; fx < s.size; fx++) {
              const xx = ox * s.stride + fx - cols.before;
              if (xx >= 0 && xx < s.width) inside.push(((b * s.height + yy) * s.width + xx) * s.channels + c);
            }
          }
          if (kind === "max") {
            let best = inside[0];
            for (const i of inside) if (x[i] > x[best]) best = i;
            y[yi] = x[best];
            argmax[yi] = best;
            dx[best] += dy[yi];
          } else {
            y[yi] = inside.reduce((p, i) => p + x[i], 0) / inside.length;
            for (const i of inside) dx[i] += dy[yi] / inside.length;
          }
        }
  return { y, dx, argmax };
}

/** The k largest values of each row of [rows, d] and their indices, largest first. */
export function topk(x: ArrayLike<number>, d: number, k: number) {
  const values = new Float64Array((x.length / d) * k);
  const indices = new Float64Array((x.length / d) * k);
  for (let r = 0; r * d < x.length; r++) {
    const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => x[r * d + j] - x[r * d + i]);
    for (let i = 0; i < k; i++) {
      values[r * k + i] = x[r * d + order[i]];
      indices[r * k + i] = order[i];
    }
  }
  return { values, indices };
}

/** Largest |a - b| / (1 + |b|): absolute error for values near 0, relative for large ones. */
export function maxScaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}
