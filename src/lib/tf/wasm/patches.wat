(module
  (import "env" "memory" (memory 1 65536 (;shared;)))

  ;; The transposed patch matrix P^T of a 2-D convolution (NHWC, dilation 1), written
  ;; straight into the 4-row blocks of gemm.wat's packA: P has one row per output position
  ;; k = (b, oh, ow) of `images` images (K rows) and one column per filter tap and input
  ;; channel r = (kh, kw, ci) (R = KH*KW*C), with zeros where a window lies in the padding.
  ;; Row r of P^T goes to block r/4, lane r%4: element k at dst + (r/4)*K*16 + k*16 + (r%4)*4;
  ;; rows R .. 4*ceil(R/4) are 0. These are the bytes packA writes from P^T, without P.
  ;; With C a multiple of 4 each group of 4 channels is one vector; else value by value.
  ;; Where OW is a multiple of 4, four neighbouring output positions (one image, one output
  ;; row) go at a time, so each group fills whole 64-byte runs of a block (4 positions x 4
  ;; lanes); one position at a time leaves partial lines in up to R/4 blocks whose
  ;; power-of-two spacing maps them to the same cache sets. Otherwise one at a time.

  (func (export "patchesT")
        (param $x i32) (param $images i32) (param $H i32) (param $W i32) (param $C i32)
        (param $OH i32) (param $OW i32) (param $KH i32) (param $KW i32)
        (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $dst i32)
    (local $K16 i32) (local $b i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $kw i32)
    (local $y i32) (local $x0 i32) (local $c i32) (local $r i32) (local $row i32) (local $src i32)
    (local $yin i32) (local $in0 i32) (local $in1 i32) (local $in2 i32) (local $in3 i32)
    (local $vec i32) (local $image i32) (local $step i32) (local $d i32) (local $s i32) (local $four i32) (local $g i32)
    (local.set $K16 (i32.shl (i32.mul (local.get $images) (i32.mul (local.get $OH) (local.get $OW))) (i32.const 4)))
    (local.set $vec (i32.eqz (i32.and (local.get $C) (i32.const 3))))
    (local.set $step (i32.shl (i32.mul (local.get $sw) (local.get $C)) (i32.const 2)))
    (local.set $four (i32.eqz (i32.and (local.get $OW) (i32.const 3))))
    (local.set $g (select (i32.const 4) (i32.const 1) (local.get $four)))
    (local.set $row (local.get $dst))
    (local.set $b (i32.const 0))
    (block $bd (loop $bs
      (br_if $bd (i32.ge_u (local.get $b) (local.get $images)))
      (local.set $image (i32.add (local.get $x)
        (i32.shl (i32.mul (local.get $b) (i32.mul (local.get $H) (i32.mul (local.get $W) (local.get $C)))) (i32.const 2))))
      (local.set $oh (i32.const 0))
      (block $ohd (loop $ohs
        (br_if $ohd (i32.ge_u (local.get $oh) (local.get $OH)))
        (local.set $ow (i32.const 0))
        (block $owd (loop $ows
          (br_if $owd (i32.ge_u (local.get $ow) (local.get $OW)))
          (local.set $r (i32.const 0))
          (local.set $kh (i32.const 0))
          (block $khd (loop $khs
            (br_if $khd (i32.ge_u (local.get $kh) (local.get $KH)))
            (local.set $y (i32.sub (i32.add (i32.mul (local.get $oh) (local.get $sh)) (local.get $kh)) (local.get $pt)))
            (local.set $yin (i32.and (i32.ge_s (local.get $y) (i32.const 0)) (i32.lt_s (local.get $y) (local.get $H))))
            (local.set $kw (i32.const 0))
            (block $kwd (loop $kws
              (br_if $kwd (i32.ge_u (local.get $kw) (local.get $KW)))
              (local.set $x0 (i32.sub (i32.add (i32.mul (local.get $ow) (local.get $sw)) (local.get $kw)) (local.get $pl)))
              (local.set $in0 (i32.and (local.get $yin)
                (i32.and (i32.ge_s (local.get $x0) (i32.const 0)) (i32.lt_s (local.get $x0) (local.get $W)))))
              (local.set $s (i32.add (local.get $x0) (local.get $sw)))
              (local.set $in1 (i32.and (local.get $yin) (i32.and (i32.ge_s (local.get $s) (i32.const 0)) (i32.lt_s (local.get $s) (local.get $W)))))
              (local.set $s (i32.add (local.get $s) (local.get $sw)))
              (local.set $in2 (i32.and (local.get $yin) (i32.and (i32.ge_s (local.get $s) (i32.const 0)) (i32.lt_s (local.get $s) (local.get $W)))))
              (local.set $s (i32.add (local.get $s) (local.get $sw)))
              (local.set $in3 (i32.and (local.get $yin) (i32.and (i32.ge_s (local.get $s) (i32.const 0)) (i32.lt_s (local.get $s) (local.get $W)))))
              (local.set $src (i32.add (local.get $image)
                (i32.shl (i32.mul (i32.add (i32.mul (local.get $y) (local.get $W)) (local.get $x0)) (local.get $C)) (i32.const 2))))
              (local.set $c (i32.const 0))
              (if (local.get $vec)
                (then
                  (block $cd (loop $cs
                    (br_if $cd (i32.ge_u (local.get $c) (local.get $C)))
                    (local.set $d (i32.add (local.get $row) (i32.mul (i32.shr_u (local.get $r) (i32.const 2)) (local.get $K16))))
                    (local.set $s (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2))))
                    (v128.store offset=0 (local.get $d) (if (result v128) (local.get $in0)
                      (then (v128.load (local.get $s))) (else (v128.const i32x4 0 0 0 0))))
                    (if (local.get $four) (then
                      (local.set $s (i32.add (local.get $s) (local.get $step)))
                      (v128.store offset=16 (local.get $d) (if (result v128) (local.get $in1)
                        (then (v128.load (local.get $s))) (else (v128.const i32x4 0 0 0 0))))
                      (local.set $s (i32.add (local.get $s) (local.get $step)))
                      (v128.store offset=32 (local.get $d) (if (result v128) (local.get $in2)
                        (then (v128.load (local.get $s))) (else (v128.const i32x4 0 0 0 0))))
                      (local.set $s (i32.add (local.get $s) (local.get $step)))
                      (v128.store offset=48 (local.get $d) (if (result v128) (local.get $in3)
                        (then (v128.load (local.get $s))) (else (v128.const i32x4 0 0 0 0))))))
                    (local.set $c (i32.add (local.get $c) (i32.const 4)))
                    (local.set $r (i32.add (local.get $r) (i32.const 4)))
                    (br $cs))))
                (else
                  (block $cd2 (loop $cs2
                    (br_if $cd2 (i32.ge_u (local.get $c) (local.get $C)))
                    (local.set $d (i32.add (i32.add (local.get $row) (i32.mul (i32.shr_u (local.get $r) (i32.const 2)) (local.get $K16)))
                      (i32.shl (i32.and (local.get $r) (i32.const 3)) (i32.const 2))))
                    (local.set $s (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2))))
                    (f32.store offset=0 (local.get $d) (if (result f32) (local.get $in0)
                      (then (f32.load (local.get $s))) (else (f32.const 0))))
                    (if (local.get $four) (then
                      (local.set $s (i32.add (local.get $s) (local.get $step)))
                      (f32.store offset=16 (local.get $d) (if (result f32) (local.get $in1)
                        (then (f32.load (local.get $s))) (else (f32.const 0))))
                      (local.set $s (i32.add (local.get $s) (local.get $step)))
                      (f32.store offset=32 (local.get $d) (if (result f32) (local.get $in2)
                        (then (f32.load (local.get $s))) (else (f32.const 0))))
                      (local.set $s (i32.add (local.get $s) (local.get $step)))
                      (f32.store offset=48 (local.get $d) (if (result f32) (local.get $in3)
                        (then (f32.load (local.get $s))) (else (f32.const 0))))))
                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $cs2)))))
              (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
              (br $kws)))
            (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
            (br $khs)))
          ;; the last block's lanes past R, for the group's positions
          (block $zd (loop $zs
            (br_if $zd (i32.eqz (i32.and (local.get $r) (i32.const 3))))
            (local.set $d (i32.add (i32.add (local.get $row) (i32.mul (i32.shr_u (local.get $r) (i32.const 2)) (local.get $K16)))
              (i32.shl (i32.and (local.get $r) (i32.const 3)) (i32.const 2))))
            (f32.store offset=0 (local.get $d) (f32.const 0))
            (if (local.get $four) (then
              (f32.store offset=16 (local.get $d) (f32.const 0))
              (f32.store offset=32 (local.get $d) (f32.const 0))
              (f32.store offset=48 (local.get $d) (f32.const 0))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $zs)))
          (local.set $row (i32.add (local.get $row) (i32.shl (local.get $g) (i32.const 4))))
          (local.set $ow (i32.add (local.get $ow) (local.get $g)))
          (br $ows)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohs)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bs)))))
