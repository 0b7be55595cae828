;; Fused kernels for the wasm backend (see pointwise.ts): exact GELU and its gradient, one
;; AdamW update, column sums, LayerNorm and BatchNorm with their gradients, and
;; broadcasting add, sub, mul and div. Pointers are byte offsets into the wasm
;; backend's heap; n counts float32 elements, at least 4 for gelu and adamw (their loops
;; run 4 lanes at a time and end on the last 4 elements).
(module
  (import "env" "memory" (memory 1 65536 (;shared;)))

  ;; GELU (grad = 0: out = x Phi(x)) or its gradient (grad = 1: out = dy (Phi(x) + x phi(x))).
  ;; Phi(x) = (1 + erf(x / sqrt 2)) / 2 with erfc from Abramowitz & Stegun 7.1.26 (absolute
  ;; error <= 1.5e-7): erfc(z) = poly(t) e^(-z^2), t = 1 / (1 + 0.3275911 z), z = |x| / sqrt 2;
  ;; Phi = erfc/2 for x < 0 and 1 - erfc/2 otherwise, so the left tail keeps its precision.
  ;; phi(x) = e^(-x^2/2) / sqrt(2 pi). The math is written out in the loop (no calls).
  (func (export "gelu") (param $x i32) (param $dy i32) (param $out i32) (param $n i32) (param $grad i32)
    (local $i i32) (local $o i32)
    (local $v v128) (local $z v128) (local $e v128) (local $t v128) (local $p v128) (local $h v128) (local $phi v128)
    (local $k v128) (local $r v128)
    (local.set $i (i32.const 0))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      ;; the last step overlaps the previous one when n is not a multiple of 4 (same results)
      (local.set $o (i32.shl (select (local.get $i) (i32.sub (local.get $n) (i32.const 4))
        (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $n))) (i32.const 2)))
      (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
      (local.set $z (f32x4.mul (f32x4.abs (local.get $v)) (v128.const f32x4 0.70710678 0.70710678 0.70710678 0.70710678)))
      ;; e = e^(-z^2), clamped at e^-87: k = round(a log2 e) by adding 1.5 * 2^23 (whose
      ;; low mantissa bits then hold k), r = a - k ln2 (two parts), e^r by a degree-6
      ;; polynomial, and 2^k from the same bits shifted into the exponent field
      (local.set $r (f32x4.max (f32x4.neg (f32x4.mul (local.get $z) (local.get $z))) (v128.const f32x4 -87 -87 -87 -87)))
      (local.set $t (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
        (v128.const f32x4 12582912 12582912 12582912 12582912)))
      (local.set $k (f32x4.sub (local.get $t) (v128.const f32x4 12582912 12582912 12582912 12582912)))
      (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
      (local.set $r (f32x4.add (local.get $r) (f32x4.mul (local.get $k) (v128.const f32x4 2.12194440e-4 2.12194440e-4 2.12194440e-4 2.12194440e-4))))
      (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $p (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $r)) (local.get $r)) (local.get $r)) (v128.const f32x4 1 1 1 1)))
      (local.set $e (f32x4.mul (local.get $p)
        (i32x4.shl (i32x4.add (local.get $t) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
      ;; h = erfc(z) / 2
      (local.set $t (f32x4.div (v128.const f32x4 1 1 1 1)
        (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $z) (v128.const f32x4 0.3275911 0.3275911 0.3275911 0.3275911)))))
      (local.set $p (v128.const f32x4 1.061405429 1.061405429 1.061405429 1.061405429))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 -1.453152027 -1.453152027 -1.453152027 -1.453152027)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 1.421413741 1.421413741 1.421413741 1.421413741)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 -0.284496736 -0.284496736 -0.284496736 -0.284496736)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 0.254829592 0.254829592 0.254829592 0.254829592)))
      (local.set $h (f32x4.mul (f32x4.mul (f32x4.mul (local.get $p) (local.get $t)) (local.get $e)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
      (local.set $phi (v128.bitselect (local.get $h) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $h))
        (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0))))
      (if (local.get $grad)
        (then
          (local.set $v (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $o)))
            (f32x4.add (local.get $phi)
              (f32x4.mul (f32x4.mul (local.get $v) (local.get $e)) (v128.const f32x4 0.39894228 0.39894228 0.39894228 0.39894228))))))
        (else (local.set $v (f32x4.mul (local.get $v) (local.get $phi)))))
      (v128.store (i32.add (local.get $out) (local.get $o)) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l))))

  ;; One AdamW update, the same float32 operations in the same order as the op-by-op path
  ;; of src/lib/train/adamw.ts (so both give the same bits):
  ;;   m' = m + (g - m) c1;  v' = v b2 + g g c2;  p' = p decay - m' / (sqrt(v') / s2 + eps) step
  (func (export "adamw") (param $p i32) (param $g i32) (param $m i32) (param $v i32)
        (param $pOut i32) (param $mOut i32) (param $vOut i32) (param $n i32)
        (param $c1f f32) (param $b2f f32) (param $c2f f32) (param $s2f f32) (param $epsf f32) (param $decayf f32) (param $stepf f32)
    (local $i i32) (local $o i32)
    (local $c1 v128) (local $b2 v128) (local $c2 v128) (local $s2 v128) (local $eps v128) (local $decay v128) (local $step v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local.set $c1 (f32x4.splat (local.get $c1f))) (local.set $b2 (f32x4.splat (local.get $b2f)))
    (local.set $c2 (f32x4.splat (local.get $c2f))) (local.set $s2 (f32x4.splat (local.get $s2f)))
    (local.set $eps (f32x4.splat (local.get $epsf))) (local.set $decay (f32x4.splat (local.get $decayf)))
    (local.set $step (f32x4.splat (local.get $stepf)))
    (local.set $i (i32.const 0))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      ;; the last step overlaps the previous one when n is not a multiple of 4 (same results)
      (local.set $o (i32.shl (select (local.get $i) (i32.sub (local.get $n) (i32.const 4))
        (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $n))) (i32.const 2)))
      (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
      (local.set $mv (v128.load (i32.add (local.get $m) (local.get $o))))
      (local.set $mv (f32x4.add (local.get $mv) (f32x4.mul (f32x4.sub (local.get $gv) (local.get $mv)) (local.get $c1))))
      (local.set $vv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $b2))
        (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $c2))))
      (v128.store (i32.add (local.get $pOut) (local.get $o))
        (f32x4.sub (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $o))) (local.get $decay))
          (f32x4.mul (f32x4.div (local.get $mv) (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (local.get $s2)) (local.get $eps))) (local.get $step))))
      (v128.store (i32.add (local.get $mOut) (local.get $o)) (local.get $mv))
      (v128.store (i32.add (local.get $vOut) (local.get $o)) (local.get $vv))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l))))

  ;; out[j] = sum over i of x[i * cols + j] (a sum over the leading axes), rows in order.
  (func (export "columnSums") (param $x i32) (param $rows i32) (param $cols i32) (param $out i32)
    (local $i i32) (local $j i32) (local $row i32) (local $vec i32)
    (local.set $vec (i32.and (local.get $cols) (i32.const -4)))
    (local.set $j (i32.const 0))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_u (local.get $j) (local.get $cols)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $zl)))
    (local.set $i (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $row (i32.add (local.get $x) (i32.shl (i32.mul (local.get $i) (local.get $cols)) (i32.const 2))))
      (local.set $j (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_u (local.get $j) (local.get $vec)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.add (v128.load (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
                     (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $j) (local.get $cols)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
          (f32.add (f32.load (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
                   (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rl))))
;; Sum of the 4 lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; LayerNorm over rows of d floats (d a multiple of 4): y = (x - mean) rstd gamma + beta with
  ;; rstd = 1 / sqrt(biased variance + eps); mean and rstd are written per row for the gradient.
  (func (export "layerNorm") (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
        (param $mean i32) (param $rstd i32) (param $rows i32) (param $d i32) (param $eps f32)
    (local $r i32) (local $j i32) (local $row i32) (local $out i32) (local $bytes i32)
    (local $acc v128) (local $mu v128) (local $rs v128) (local $c v128) (local $m f32) (local $s f32)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $row (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $bytes))))
      (local.set $out (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $bytes))))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $row) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l1)))
      (local.set $m (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $d))))
      (local.set $mu (f32x4.splat (local.get $m)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $c (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $j))) (local.get $mu)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $c) (local.get $c))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l2)))
      (local.set $s (f32.div (f32.const 1) (f32.sqrt (f32.add
        (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $d))) (local.get $eps)))))
      (local.set $rs (f32x4.splat (local.get $s)))
      (f32.store (i32.add (local.get $mean) (i32.shl (local.get $r) (i32.const 2))) (local.get $m))
      (f32.store (i32.add (local.get $rstd) (i32.shl (local.get $r) (i32.const 2))) (local.get $s))
      (local.set $j (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.ge_u (local.get $j) (local.get $bytes)))
        (v128.store (i32.add (local.get $out) (local.get $j))
          (f32x4.add
            (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $j))) (local.get $mu)) (local.get $rs))
              (v128.load (i32.add (local.get $gamma) (local.get $j))))
            (v128.load (i32.add (local.get $beta) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l3)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; Its gradient: with xh = (x - mean) rstd and g = dy gamma,
  ;; dx = rstd (g - mean(g) - xh mean(g xh)) per row; dgamma = sum over rows of dy xh; dbeta = sum of dy.
  (func (export "layerNormGrad") (param $x i32) (param $gamma i32) (param $mean i32) (param $rstd i32) (param $dy i32)
        (param $dx i32) (param $dgamma i32) (param $dbeta i32) (param $rows i32) (param $d i32)
    (local $r i32) (local $j i32) (local $off i32) (local $bytes i32)
    (local $mu v128) (local $rs v128) (local $xh v128) (local $dyv v128) (local $g v128)
    (local $sg v128) (local $sgx v128) (local $mg v128) (local $mgx v128) (local $inv f32)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $inv (f32.div (f32.const 1) (f32.convert_i32_u (local.get $d))))
    (local.set $j (i32.const 0))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_u (local.get $j) (local.get $bytes)))
      (v128.store (i32.add (local.get $dgamma) (local.get $j)) (v128.const i32x4 0 0 0 0))
      (v128.store (i32.add (local.get $dbeta) (local.get $j)) (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $zl)))
    (local.set $r (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $mu (f32x4.splat (f32.load (i32.add (local.get $mean) (i32.shl (local.get $r) (i32.const 2))))))
      (local.set $rs (f32x4.splat (f32.load (i32.add (local.get $rstd) (i32.shl (local.get $r) (i32.const 2))))))
      (local.set $sg (v128.const i32x4 0 0 0 0))
      (local.set $sgx (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $off (i32.add (i32.mul (local.get $r) (local.get $bytes)) (local.get $j)))
        (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $off))) (local.get $mu)) (local.get $rs)))
        (local.set $dyv (v128.load (i32.add (local.get $dy) (local.get $off))))
        (local.set $g (f32x4.mul (local.get $dyv) (v128.load (i32.add (local.get $gamma) (local.get $j)))))
        (local.set $sg (f32x4.add (local.get $sg) (local.get $g)))
        (local.set $sgx (f32x4.add (local.get $sgx) (f32x4.mul (local.get $g) (local.get $xh))))
        (v128.store (i32.add (local.get $dgamma) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $dgamma) (local.get $j))) (f32x4.mul (local.get $dyv) (local.get $xh))))
        (v128.store (i32.add (local.get $dbeta) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $dbeta) (local.get $j))) (local.get $dyv)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l1)))
      (local.set $mg (f32x4.splat (f32.mul (call $hsum (local.get $sg)) (local.get $inv))))
      (local.set $mgx (f32x4.splat (f32.mul (call $hsum (local.get $sgx)) (local.get $inv))))
      (local.set $j (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $off (i32.add (i32.mul (local.get $r) (local.get $bytes)) (local.get $j)))
        (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $off))) (local.get $mu)) (local.get $rs)))
        (local.set $g (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $off))) (v128.load (i32.add (local.get $gamma) (local.get $j)))))
        (v128.store (i32.add (local.get $dx) (local.get $off))
          (f32x4.mul (local.get $rs) (f32x4.sub (f32x4.sub (local.get $g) (local.get $mg)) (f32x4.mul (local.get $xh) (local.get $mgx)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l2)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; BatchNorm in train mode over rows of c channels (channels last, c a multiple of 4): the
  ;; batch mean and biased variance per channel (two passes over the rows, summed in row
  ;; order), rstd = 1 / sqrt(var + eps), then y = (x - mean) rstd gamma + beta.
  (func (export "batchNorm") (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
        (param $mean i32) (param $var i32) (param $rstd i32) (param $rows i32) (param $c i32) (param $eps f32)
    (local $i i32) (local $j i32) (local $bytes i32) (local $row i32) (local $inv v128) (local $d v128)
    (local.set $bytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $inv (f32x4.splat (f32.div (f32.const 1) (f32.convert_i32_u (local.get $rows)))))
    (call $zero (local.get $mean) (local.get $bytes))
    (call $zero (local.get $var) (local.get $bytes))
    ;; sums, then means
    (local.set $i (i32.const 0))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $row (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $bytes))))
      (local.set $j (i32.const 0))
      (block $e1 (loop $m1
        (br_if $e1 (i32.ge_u (local.get $j) (local.get $bytes)))
        (v128.store (i32.add (local.get $mean) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $mean) (local.get $j))) (v128.load (i32.add (local.get $row) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $m1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1)))
    (local.set $j (i32.const 0))
    (block $e2 (loop $m2
      (br_if $e2 (i32.ge_u (local.get $j) (local.get $bytes)))
      (v128.store (i32.add (local.get $mean) (local.get $j)) (f32x4.mul (v128.load (i32.add (local.get $mean) (local.get $j))) (local.get $inv)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $m2)))
    ;; sums of squared deviations, then variances and rstd
    (local.set $i (i32.const 0))
    (block $d3 (loop $l3
      (br_if $d3 (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $row (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $bytes))))
      (local.set $j (i32.const 0))
      (block $e3 (loop $m3
        (br_if $e3 (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $j))) (v128.load (i32.add (local.get $mean) (local.get $j)))))
        (v128.store (i32.add (local.get $var) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $var) (local.get $j))) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $m3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l3)))
    (local.set $j (i32.const 0))
    (block $e4 (loop $m4
      (br_if $e4 (i32.ge_u (local.get $j) (local.get $bytes)))
      (local.set $d (f32x4.mul (v128.load (i32.add (local.get $var) (local.get $j))) (local.get $inv)))
      (v128.store (i32.add (local.get $var) (local.get $j)) (local.get $d))
      (v128.store (i32.add (local.get $rstd) (local.get $j))
        (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.sqrt (f32x4.add (local.get $d) (f32x4.splat (local.get $eps))))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $m4)))
    ;; y
    (local.set $i (i32.const 0))
    (block $d5 (loop $l5
      (br_if $d5 (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $row (i32.mul (local.get $i) (local.get $bytes)))
      (local.set $j (i32.const 0))
      (block $e5 (loop $m5
        (br_if $e5 (i32.ge_u (local.get $j) (local.get $bytes)))
        (v128.store (i32.add (local.get $y) (i32.add (local.get $row) (local.get $j)))
          (f32x4.add
            (f32x4.mul
              (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $j))))
                                    (v128.load (i32.add (local.get $mean) (local.get $j))))
                         (v128.load (i32.add (local.get $rstd) (local.get $j))))
              (v128.load (i32.add (local.get $gamma) (local.get $j))))
            (v128.load (i32.add (local.get $beta) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $m5)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l5))))

  ;; Its gradient: with xh = (x - mean) rstd, dbeta = sum of dy and dgamma = sum of dy xh over
  ;; the rows, and dx = gamma rstd (dy - dbeta / rows - xh dgamma / rows).
  (func (export "batchNormGrad") (param $x i32) (param $gamma i32) (param $mean i32) (param $rstd i32) (param $dy i32)
        (param $dx i32) (param $dgamma i32) (param $dbeta i32) (param $rows i32) (param $c i32)
    (local $i i32) (local $j i32) (local $bytes i32) (local $off i32) (local $inv v128) (local $xh v128) (local $g v128)
    (local.set $bytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $inv (f32x4.splat (f32.div (f32.const 1) (f32.convert_i32_u (local.get $rows)))))
    (call $zero (local.get $dgamma) (local.get $bytes))
    (call $zero (local.get $dbeta) (local.get $bytes))
    (local.set $i (i32.const 0))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $e1 (loop $m1
        (br_if $e1 (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $off (i32.add (i32.mul (local.get $i) (local.get $bytes)) (local.get $j)))
        (local.set $g (v128.load (i32.add (local.get $dy) (local.get $off))))
        (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $off))) (v128.load (i32.add (local.get $mean) (local.get $j))))
                                  (v128.load (i32.add (local.get $rstd) (local.get $j)))))
        (v128.store (i32.add (local.get $dbeta) (local.get $j)) (f32x4.add (v128.load (i32.add (local.get $dbeta) (local.get $j))) (local.get $g)))
        (v128.store (i32.add (local.get $dgamma) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $dgamma) (local.get $j))) (f32x4.mul (local.get $g) (local.get $xh))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $m1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1)))
    (local.set $i (i32.const 0))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $e2 (loop $m2
        (br_if $e2 (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $off (i32.add (i32.mul (local.get $i) (local.get $bytes)) (local.get $j)))
        (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $off))) (v128.load (i32.add (local.get $mean) (local.get $j))))
                                  (v128.load (i32.add (local.get $rstd) (local.get $j)))))
        (v128.store (i32.add (local.get $dx) (local.get $off))
          (f32x4.mul
            (f32x4.mul (v128.load (i32.add (local.get $gamma) (local.get $j))) (v128.load (i32.add (local.get $rstd) (local.get $j))))
            (f32x4.sub
              (f32x4.sub (v128.load (i32.add (local.get $dy) (local.get $off))) (f32x4.mul (v128.load (i32.add (local.get $dbeta) (local.get $j))) (local.get $inv)))
              (f32x4.mul (local.get $xh) (f32x4.mul (v128.load (i32.add (local.get $dgamma) (local.get $j))) (local.get $inv))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $m2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2))))

  ;; Broadcasting add, sub, mul or div (op 0-3) over rows: for r < rows and i < n,
  ;;   out[r n + i] = a[r aRow + i aVec] OP b[r bRow + i bVec]
  ;; with aVec, bVec 1 (a vector along the row) or 0 (one value for the whole row), strides
  ;; in elements. Plain IEEE float32 operations, so the same bits as an element-by-element loop.
  (func (export "broadcastRows") (param $op i32) (param $a i32) (param $b i32) (param $out i32)
        (param $rows i32) (param $n i32) (param $aRow i32) (param $bRow i32) (param $aVec i32) (param $bVec i32)
    (local $r i32) (local $i i32) (local $pa i32) (local $pb i32) (local $po i32) (local $vec i32)
    (local $va v128) (local $vb v128) (local $x v128) (local $sa f32) (local $sb f32)
    (local.set $vec (i32.and (local.get $n) (i32.const -4)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $r) (local.get $aRow)) (i32.const 2))))
      (local.set $pb (i32.add (local.get $b) (i32.shl (i32.mul (local.get $r) (local.get $bRow)) (i32.const 2))))
      (local.set $po (i32.add (local.get $out) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 2))))
      (local.set $va (v128.load32_splat (local.get $pa)))
      (local.set $vb (v128.load32_splat (local.get $pb)))
      (local.set $i (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_u (local.get $i) (local.get $vec)))
        (if (local.get $aVec) (then (local.set $va (v128.load (i32.add (local.get $pa) (i32.shl (local.get $i) (i32.const 2)))))))
        (if (local.get $bVec) (then (local.set $vb (v128.load (i32.add (local.get $pb) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $x
          (if (result v128) (i32.eq (local.get $op) (i32.const 2)) (then (f32x4.mul (local.get $va) (local.get $vb)))
            (else (if (result v128) (i32.eqz (local.get $op)) (then (f32x4.add (local.get $va) (local.get $vb)))
              (else (if (result v128) (i32.eq (local.get $op) (i32.const 1)) (then (f32x4.sub (local.get $va) (local.get $vb)))
                (else (f32x4.div (local.get $va) (local.get $vb)))))))))
        (v128.store (i32.add (local.get $po) (i32.shl (local.get $i) (i32.const 2))) (local.get $x))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sa (f32.load (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $i) (local.get $aVec)) (i32.const 2)))))
        (local.set $sb (f32.load (i32.add (local.get $pb) (i32.shl (i32.mul (local.get $i) (local.get $bVec)) (i32.const 2)))))
        (f32.store (i32.add (local.get $po) (i32.shl (local.get $i) (i32.const 2)))
          (if (result f32) (i32.eq (local.get $op) (i32.const 2)) (then (f32.mul (local.get $sa) (local.get $sb)))
            (else (if (result f32) (i32.eqz (local.get $op)) (then (f32.add (local.get $sa) (local.get $sb)))
              (else (if (result f32) (i32.eq (local.get $op) (i32.const 1)) (then (f32.sub (local.get $sa) (local.get $sb)))
                (else (f32.div (local.get $sa) (local.get $sb)))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; Zeroes `bytes` bytes (a multiple of 16) at p.
  (func $zero (param $p i32) (param $bytes i32)
    (local $j i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $j) (local.get $bytes)))
      (v128.store (i32.add (local.get $p) (local.get $j)) (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l))))
)
