// Math.exp, Math.log, Math.log2 and Math.pow that give the same bits in every JavaScript
// engine, for the feature maps. The engines' own functions are not specified to the bit:
// Node 20's V8 and Chromium 156's V8 disagree in the last bit on about one argument in
// ten (measured on 20,000 random arguments: exp 1,976, log 1,303, pow 1,945, log2 110;
// sqrt, which IEEE 754 rounds exactly, 0), and t-SNE and UMAP, iterated hundreds of
// times, turn one bit into different maps (max difference of a 240-point UMAP: 12.7).
// These are fdlibm's exp and log (e_exp.c, e_log.c; Sun Microsystems' freely usable
// code, the algorithms V8 itself long used), written with + - * / only, which IEEE 754
// rounds the same everywhere (JavaScript never fuses a multiply-add); they are within one
// unit in the last place of the exact value. pow(x, y) is exp(y log x) for x > 0: its
// error grows with |y log x| (UMAP's exponents are near 1). withPortableMath runs a
// computation with them in place of the engine's and puts the engine's back. No DOM.

// The two 32-bit words of a double, through one shared buffer.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const i32 = new Int32Array(f64.buffer);
// The engine's pow, kept for the cases it computes exactly (zeros, infinities), even while replaced.
const nativePow = Math.pow;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

const HUGE = 1.0e300;
const TWOM1000 = 9.33263618503218878990e-302; // 2^-1000
const O_THRESHOLD = 7.09782712893383973096e2;
const U_THRESHOLD = -7.45133219101941108420e2;
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.65339022054652515390e-6;
const P5 = 4.13813679705723846039e-8;

/** 2^k for -1022 <= k <= 1023, built from its bits (exact). */
function pow2(k: number): number {
  u32[LO] = 0;
  u32[HI] = (k + 1023) << 20;
  return f64[0];
}

/** e^x, fdlibm's __ieee754_exp. */
export function portableExp(x: number): number {
  f64[0] = x;
  let hx = u32[HI];
  const lx = u32[LO];
  const negative = hx >>> 31;
  hx &= 0x7fffffff;
  if (hx >= 0x40862e42) {
    // |x| >= 709.78...: NaN, infinities, overflow and underflow.
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | lx) !== 0) return x + x;
      return negative === 0 ? x : 0;
    }
    if (x > O_THRESHOLD) return HUGE * HUGE;
    if (x < U_THRESHOLD) return TWOM1000 * TWOM1000;
  }
  let k = 0;
  let hi = 0;
  let lo = 0;
  // Argument reduction: x = k ln2 + r, |r| <= 0.5 ln2.
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      hi = negative ? x + LN2_HI : x - LN2_HI;
      lo = negative ? -LN2_LO : LN2_LO;
      k = negative ? -1 : 1;
    } else {
      k = Math.trunc(INV_LN2 * x + (negative ? -0.5 : 0.5));
      hi = x - k * LN2_HI; // exact: k * LN2_HI has few bits
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2^-28.
    return 1 + x;
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - (lo - (x * c) / (2 - c) - hi);
  // y * 2^k, exact: fdlibm adds k to y's exponent (k reaches 1024 just below the overflow threshold).
  if (k > 1023) return y * 2 * pow2(k - 1);
  return k >= -1021 ? y * pow2(k) : y * pow2(k + 1000) * TWOM1000;
}

const TWO54 = 1.80143985094819840000e16;
const LG1 = 6.666666666666735130e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;

/** ln x, fdlibm's __ieee754_log. */
export function portableLog(x: number): number {
  f64[0] = x;
  let hx = i32[HI];
  const lx = u32[LO];
  let k = 0;
  if (hx < 0x00100000) {
    // x < 2^-1022: zero, negative, or subnormal (scaled up).
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54;
    f64[0] = x;
    hx = i32[HI];
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  f64[0] = x;
  i32[HI] = hx | (i ^ 0x3ff00000); // x or x/2 normalised into [sqrt(2)/2, sqrt(2))
  x = f64[0];
  k += i >> 20;
  const f = x - 1;
  const dk = k;
  if ((0x000fffff & (2 + hx)) < 3) {
    // |f| < 2^-20.
    if (f === 0) return k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
    const R = f * f * (0.5 - 0.33333333333333333 * f);
    return k === 0 ? f - R : dk * LN2_HI - (R - dk * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - R) : dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
}

const INV_LN2_FULL = 1 / Math.LN2;

/** log2 x as ln x / ln 2 (exact for powers of two). */
export function portableLog2(x: number): number {
  f64[0] = x;
  // Powers of two: the exponent itself, as the engines give it.
  if (Number.isFinite(x) && x > 0 && u32[LO] === 0 && (u32[HI] & 0x000fffff) === 0 && x >= 2 ** -1022) return ((u32[HI] >>> 20) & 0x7ff) - 1023;
  return portableLog(x) * INV_LN2_FULL;
}

/** x^y: the special cases of Math.pow, else exp(y ln |x|) (with the sign of x for odd whole y). */
export function portablePow(x: number, y: number): number {
  if (y === 0) return 1;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (y === 1) return x;
  if (y === 2) return x * x;
  if (!Number.isFinite(x) || !Number.isFinite(y) || x === 0) return nativePow(x, y); // exact in every engine: zeros, infinities
  if (x < 0) {
    if (!Number.isInteger(y)) return NaN;
    const r = portableExp(y * portableLog(-x));
    return y % 2 === 0 ? r : -r;
  }
  return portableExp(y * portableLog(x));
}

type MathFunctions = Pick<Math, "exp" | "log" | "log2" | "pow">;

/**
 * Runs `work` (synchronous) with Math.exp, Math.log, Math.log2 and Math.pow replaced by the
 * portable ones, and puts the engine's back after it, also when it throws. Nothing else runs
 * meanwhile (JavaScript runs one synchronous call at a time per thread), so only `work` sees them.
 */
export function withPortableMath<T>(work: () => T): T {
  const saved: MathFunctions = { exp: Math.exp, log: Math.log, log2: Math.log2, pow: Math.pow };
  Math.exp = portableExp;
  Math.log = portableLog;
  Math.log2 = portableLog2;
  Math.pow = portablePow;
  try {
    return work();
  } finally {
    Object.assign(Math, saved);
  }
}
