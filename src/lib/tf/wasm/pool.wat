;; The max-pool gradient for the wasm backend (see pool.ts), four channels at a time: for
;; every output position and every 4 channels, the first maximum of the window in row-major
;; order (the first tap inside the image, then each strictly greater value), whose gradient
;; is then added to dx lane by lane, outputs in order, so the sums are those of the scalar
;; loop. Channels last (NHWC), channels a multiple of 4, dilation 1. Pointers are byte
;; offsets into the wasm backend's heap; dx must hold zeros (or what to add to).
(module
  (import "env" "memory" (memory 1 65536 (;shared;)))

  (func (export "maxPoolGrad") (param $x i32) (param $dy i32) (param $dx i32)
        (param $B i32) (param $H i32) (param $W i32) (param $C i32) (param $OH i32) (param $OW i32)
        (param $FH i32) (param $FW i32) (param $SH i32) (param $SW i32) (param $top i32) (param $left i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $c i32) (local $o i32)
    (local $y0 i32) (local $y1 i32) (local $x0 i32) (local $x1 i32) (local $y i32) (local $xx i32)
    (local $base i32) (local $first i32) (local $lane i32)
    (local $v v128) (local $best v128) (local $where v128) (local $idx v128) (local $m v128)
    (local.set $o (i32.const 0))
    (local.set $b (i32.const 0))
    (block $bd (loop $bs
      (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $oy (i32.const 0))
      (block $yd (loop $ys
        (br_if $yd (i32.ge_u (local.get $oy) (local.get $OH)))
        ;; the window's rows inside the image: [y0, y1)
        (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $SH)) (local.get $top)))
        (local.set $y1 (i32.add (local.get $y0) (local.get $FH)))
        (if (i32.lt_s (local.get $y0) (i32.const 0)) (then (local.set $y0 (i32.const 0))))
        (if (i32.gt_s (local.get $y1) (local.get $H)) (then (local.set $y1 (local.get $H))))
        (local.set $ox (i32.const 0))
        (block $xd (loop $xs
          (br_if $xd (i32.ge_u (local.get $ox) (local.get $OW)))
          (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $SW)) (local.get $left)))
          (local.set $x1 (i32.add (local.get $x0) (local.get $FW)))
          (if (i32.lt_s (local.get $x0) (i32.const 0)) (then (local.set $x0 (i32.const 0))))
          (if (i32.gt_s (local.get $x1) (local.get $W)) (then (local.set $x1 (local.get $W))))
          ;; a window wholly in the padding has no maximum
          (if (i32.and (i32.lt_s (local.get $y0) (local.get $y1)) (i32.lt_s (local.get $x0) (local.get $x1)))
            (then
              (local.set $c (i32.const 0))
              (block $cd (loop $cs
                (br_if $cd (i32.ge_u (local.get $c) (local.get $C)))
                (local.set $first (i32.const 1))
                (local.set $y (local.get $y0))
                (block $wyd (loop $wys
                  (br_if $wyd (i32.ge_s (local.get $y) (local.get $y1)))
                  (local.set $xx (local.get $x0))
                  (block $wxd (loop $wxs
                    (br_if $wxd (i32.ge_s (local.get $xx) (local.get $x1)))
                    ;; element index of (b, y, xx, c)
                    (local.set $base (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $y))
                      (local.get $W)) (local.get $xx)) (local.get $C)) (local.get $c)))
                    (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $base) (i32.const 2)))))
                    (local.set $idx (i32x4.add (i32x4.splat (local.get $base)) (v128.const i32x4 0 1 2 3)))
                    (if (local.get $first)
                      (then
                        (local.set $best (local.get $v))
                        (local.set $where (local.get $idx))
                        (local.set $first (i32.const 0)))
                      (else
                        (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                        (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                        (local.set $where (v128.bitselect (local.get $idx) (local.get $where) (local.get $m)))))
                    (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
                    (br $wxs)))
                  (local.set $y (i32.add (local.get $y) (i32.const 1)))
                  (br $wys)))
                ;; dx[where lane] += dy[o + c + lane], lanes in order
                (local.set $lane (i32.shl (i32.add (local.get $o) (local.get $c)) (i32.const 2)))
                (call $add (local.get $dx) (i32x4.extract_lane 0 (local.get $where)) (f32.load offset=0 (i32.add (local.get $dy) (local.get $lane))))
                (call $add (local.get $dx) (i32x4.extract_lane 1 (local.get $where)) (f32.load offset=4 (i32.add (local.get $dy) (local.get $lane))))
                (call $add (local.get $dx) (i32x4.extract_lane 2 (local.get $where)) (f32.load offset=8 (i32.add (local.get $dy) (local.get $lane))))
                (call $add (local.get $dx) (i32x4.extract_lane 3 (local.get $where)) (f32.load offset=12 (i32.add (local.get $dy) (local.get $lane))))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $cs)))))
          (local.set $o (i32.add (local.get $o) (local.get $C)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $xs)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $ys)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bs))))

  ;; dx[i] += g
  (func $add (param $dx i32) (param $i i32) (param $g f32)
    (local $p i32)
    (local.set $p (i32.add (local.get $dx) (i32.shl (local.get $i) (i32.const 2))))
    (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (local.get $g)))))
