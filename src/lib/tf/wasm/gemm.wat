(module
  (import "env" "memory" (memory 1 65536 (;shared;)))

  ;; Transposes a 4x4 block: row i (4 floats) at src + i*stride becomes column i of the
  ;; block written as 4 rows at dst + j*dstStride.
  (func $transpose4 (param $src i32) (param $stride i32) (param $dst i32) (param $dstStride i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $r0 (v128.load (local.get $src)))
    (local.set $r1 (v128.load (i32.add (local.get $src) (local.get $stride))))
    (local.set $r2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $stride) (i32.const 1)))))
    (local.set $r3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $stride) (i32.const 3)))))
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
    (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
    (v128.store (i32.add (local.get $dst) (local.get $dstStride))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
    (v128.store (i32.add (local.get $dst) (i32.shl (local.get $dstStride) (i32.const 1)))
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
    (v128.store (i32.add (local.get $dst) (i32.mul (local.get $dstStride) (i32.const 3)))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))
  ;; pack B (element (k, n) at b + 4*(k*sk + n*sn)) into 8-column panels:
  ;; panel p at dst + p*K*32, row k of the panel = 8 floats, columns >= N are 0.
  (func $pack (export "pack") (param $b i32) (param $sk i32) (param $sn i32) (param $K i32) (param $N i32) (param $dst i32)
    (local $p i32) (local $k i32) (local $j i32) (local $n0 i32) (local $src i32) (local $out i32) (local $full i32)
    (local.set $out (local.get $dst))
    (local.set $n0 (i32.const 0))
    (block $done
      (loop $panels
        (br_if $done (i32.ge_u (local.get $n0) (local.get $N)))
        (local.set $full (i32.and (i32.le_u (i32.add (local.get $n0) (i32.const 8)) (local.get $N)) (i32.eq (local.get $sn) (i32.const 1))))
        (local.set $k (i32.const 0))
        ;; B stored transposed ([N, K], sk = 1), whole panel: 4 steps of k at a time by 4x4 transposes
        (if (i32.and (i32.eq (local.get $sk) (i32.const 1)) (i32.le_u (i32.add (local.get $n0) (i32.const 8)) (local.get $N)))
          (then
            (local.set $src (i32.add (local.get $b) (i32.shl (i32.mul (local.get $n0) (local.get $sn)) (i32.const 2))))
            (block $vd
              (loop $vs
                (br_if $vd (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $K)))
                (call $transpose4 (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2)))
                  (i32.shl (local.get $sn) (i32.const 2)) (local.get $out) (i32.const 32))
                (call $transpose4 (i32.add (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2))) (i32.shl (local.get $sn) (i32.const 4)))
                  (i32.shl (local.get $sn) (i32.const 2)) (i32.add (local.get $out) (i32.const 16)) (i32.const 32))
                (local.set $out (i32.add (local.get $out) (i32.const 128)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $vs)))))
        (block $kd
          (loop $ks
            (br_if $kd (i32.ge_u (local.get $k) (local.get $K)))
            (local.set $src (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $sk)) (i32.mul (local.get $n0) (local.get $sn))) (i32.const 2))))
            (if (local.get $full)
              (then
                (v128.store (local.get $out) (v128.load (local.get $src)))
                (v128.store offset=16 (local.get $out) (v128.load offset=16 (local.get $src))))
              (else
                (local.set $j (i32.const 0))
                (block $jd
                  (loop $js
                    (br_if $jd (i32.ge_u (local.get $j) (i32.const 8)))
                    (if (i32.lt_u (i32.add (local.get $n0) (local.get $j)) (local.get $N))
                      (then (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
                              (f32.load (i32.add (local.get $src) (i32.shl (i32.mul (local.get $j) (local.get $sn)) (i32.const 2))))))
                      (else (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $js)))))
            (local.set $out (i32.add (local.get $out) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $ks)))
        (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
        (br $panels))))

  ;; store 8 lanes (v0 | v1) at c, only the first $n when $n < 8
  (func $store8 (param $c i32) (param $v0 v128) (param $v1 v128) (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 8))
      (then (v128.store (local.get $c) (local.get $v0)) (v128.store offset=16 (local.get $c) (local.get $v1)) (return)))
    (if (i32.gt_u (local.get $n) (i32.const 0)) (then (f32.store offset=0 (local.get $c) (f32x4.extract_lane 0 (local.get $v0)))))
    (if (i32.gt_u (local.get $n) (i32.const 1)) (then (f32.store offset=4 (local.get $c) (f32x4.extract_lane 1 (local.get $v0)))))
    (if (i32.gt_u (local.get $n) (i32.const 2)) (then (f32.store offset=8 (local.get $c) (f32x4.extract_lane 2 (local.get $v0)))))
    (if (i32.gt_u (local.get $n) (i32.const 3)) (then (f32.store offset=12 (local.get $c) (f32x4.extract_lane 3 (local.get $v0)))))
    (if (i32.gt_u (local.get $n) (i32.const 4)) (then (f32.store offset=16 (local.get $c) (f32x4.extract_lane 0 (local.get $v1)))))
    (if (i32.gt_u (local.get $n) (i32.const 5)) (then (f32.store offset=20 (local.get $c) (f32x4.extract_lane 1 (local.get $v1)))))
    (if (i32.gt_u (local.get $n) (i32.const 6)) (then (f32.store offset=24 (local.get $c) (f32x4.extract_lane 2 (local.get $v1))))))

  ;; C[M, N] (row stride ldc) = A · Bp for panels [p0, p1); A(i, k) at a + 4*(i*sam + k*sak).
  (func $gemm (export "gemm") (param $a i32) (param $sam i32) (param $sak i32) (param $bp i32) (param $c i32) (param $ldc i32)
        (param $M i32) (param $N i32) (param $K i32) (param $p0 i32) (param $p1 i32)
    (local $p i32) (local $i i32) (local $k i32) (local $pb i32) (local $pa i32) (local $da i32) (local $rs i32)
    (local $n i32) (local $pc i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $da (i32.shl (local.get $sak) (i32.const 2)))
    (local.set $rs (i32.shl (local.get $sam) (i32.const 2)))
    (local.set $p (local.get $p0))
    (block $pd
      (loop $ps
        (br_if $pd (i32.ge_u (local.get $p) (local.get $p1)))
        (local.set $n (i32.sub (local.get $N) (i32.shl (local.get $p) (i32.const 3))))
        (local.set $i (i32.const 0))
        ;; blocks of 4 rows
        (block $id
          (loop $is
            (br_if $id (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $M)))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
            (local.set $pb (i32.add (local.get $bp) (i32.mul (local.get $p) (i32.shl (local.get $K) (i32.const 5)))))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rs))))
            (local.set $k (local.get $K))
            (block $kd
              (loop $ks
                (br_if $kd (i32.eqz (local.get $k)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $x (f32x4.splat (f32.load (local.get $pa))))
                (local.set $c00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c00)))
                (local.set $c01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c01)))
                (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pa) (local.get $rs)))))
                (local.set $c10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c10)))
                (local.set $c11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c11)))
                (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pa) (i32.shl (local.get $rs) (i32.const 1))))))
                (local.set $c20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c20)))
                (local.set $c21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c21)))
                (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pa) (i32.mul (local.get $rs) (i32.const 3))))))
                (local.set $c30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c30)))
                (local.set $c31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c31)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
                (local.set $pa (i32.add (local.get $pa) (local.get $da)))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $ks)))
            (local.set $pc (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $p) (i32.const 3))) (i32.const 2))))
            (call $store8 (local.get $pc) (local.get $c00) (local.get $c01) (local.get $n))
            (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $ldc) (i32.const 2))))
            (call $store8 (local.get $pc) (local.get $c10) (local.get $c11) (local.get $n))
            (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $ldc) (i32.const 2))))
            (call $store8 (local.get $pc) (local.get $c20) (local.get $c21) (local.get $n))
            (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $ldc) (i32.const 2))))
            (call $store8 (local.get $pc) (local.get $c30) (local.get $c31) (local.get $n))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $is)))
        ;; remaining rows one at a time
        (block $rd
          (loop $rsl
            (br_if $rd (i32.ge_u (local.get $i) (local.get $M)))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $pb (i32.add (local.get $bp) (i32.mul (local.get $p) (i32.shl (local.get $K) (i32.const 5)))))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rs))))
            (local.set $k (local.get $K))
            (block $kd2
              (loop $ks2
                (br_if $kd2 (i32.eqz (local.get $k)))
                (local.set $x (f32x4.splat (f32.load (local.get $pa))))
                (local.set $c00 (f32x4.relaxed_madd (local.get $x) (v128.load (local.get $pb)) (local.get $c00)))
                (local.set $c01 (f32x4.relaxed_madd (local.get $x) (v128.load offset=16 (local.get $pb)) (local.get $c01)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
                (local.set $pa (i32.add (local.get $pa) (local.get $da)))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $ks2)))
            (call $store8 (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $p) (i32.const 3))) (i32.const 2)))
              (local.get $c00) (local.get $c01) (local.get $n))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rsl)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $ps))))
;; pack A (element (i, k) at a + 4*(i*sam + k*sak)) into 4-row blocks: block q at
  ;; dst + q*K*16, element k of a block = the 4 rows' values at k; rows >= M are 0.
  (func $packA (export "packA") (param $a i32) (param $sam i32) (param $sak i32) (param $M i32) (param $K i32) (param $dst i32)
    (local $i i32) (local $k i32) (local $r i32) (local $src i32) (local $out i32) (local $vec i32) (local $dk i32)
    (local.set $out (local.get $dst))
    (local.set $vec (i32.eq (local.get $sam) (i32.const 1)))
    (local.set $dk (i32.shl (local.get $sak) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $src (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $sam)) (i32.const 2))))
        (if (i32.and (local.get $vec) (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $M)))
          (then
            ;; the 4 rows are adjacent in memory at every k: one vector per k
            (local.set $k (local.get $K))
            (block $kd
              (loop $ks
                (br_if $kd (i32.eqz (local.get $k)))
                (v128.store (local.get $out) (v128.load (local.get $src)))
                (local.set $out (i32.add (local.get $out) (i32.const 16)))
                (local.set $src (i32.add (local.get $src) (local.get $dk)))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $ks))))
          (else
            (local.set $k (i32.const 0))
            ;; A row-major (sak = 1), whole block: 4 steps of k at a time by 4x4 transposes
            (if (i32.and (i32.eq (local.get $sak) (i32.const 1)) (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $M)))
              (then
                (block $vd
                  (loop $vs
                    (br_if $vd (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $K)))
                    (call $transpose4 (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2)))
                      (i32.shl (local.get $sam) (i32.const 2)) (local.get $out) (i32.const 16))
                    (local.set $out (i32.add (local.get $out) (i32.const 64)))
                    (local.set $k (i32.add (local.get $k) (i32.const 4)))
                    (br $vs)))))
            (block $kd2
              (loop $ks2
                (br_if $kd2 (i32.ge_u (local.get $k) (local.get $K)))
                (local.set $r (i32.const 0))
                (block $rd
                  (loop $rs
                    (br_if $rd (i32.ge_u (local.get $r) (i32.const 4)))
                    (if (i32.lt_u (i32.add (local.get $i) (local.get $r)) (local.get $M))
                      (then (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
                              (f32.load (i32.add (local.get $a) (i32.shl (i32.add
                                (i32.mul (i32.add (local.get $i) (local.get $r)) (local.get $sam))
                                (i32.mul (local.get $k) (local.get $sak))) (i32.const 2))))))
                      (else (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2))) (f32.const 0))))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $rs)))
                (local.set $out (i32.add (local.get $out) (i32.const 16)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $ks2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $blocks))))

  ;; C[M, N] (row stride ldc) = Ap · Bp for panels [p0, p1), A packed by packA.
  (func $gemmPacked (export "gemmPacked") (param $ap i32) (param $bp i32) (param $c i32) (param $ldc i32)
        (param $M i32) (param $N i32) (param $K i32) (param $p0 i32) (param $p1 i32)
    (local $p i32) (local $i i32) (local $k i32) (local $pb i32) (local $pa i32) (local $n i32) (local $pc i32) (local $rowb i32)
    (local $b0 v128) (local $b1 v128) (local $av v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $rowb (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $p (local.get $p0))
    (block $pd
      (loop $ps
        (br_if $pd (i32.ge_u (local.get $p) (local.get $p1)))
        (local.set $n (i32.sub (local.get $N) (i32.shl (local.get $p) (i32.const 3))))
        (local.set $i (i32.const 0))
        (local.set $pa (local.get $ap))
        (block $id
          (loop $is
            (br_if $id (i32.ge_u (local.get $i) (local.get $M)))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
            (local.set $pb (i32.add (local.get $bp) (i32.mul (local.get $p) (i32.shl (local.get $K) (i32.const 5)))))
            (local.set $k (local.get $K))
            (block $kd
              (loop $ks
                (br_if $kd (i32.eqz (local.get $k)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $av (v128.load (local.get $pa)))
                (local.set $x (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $av) (local.get $av)))
                (local.set $c00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c00)))
                (local.set $c01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c01)))
                (local.set $x (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $av) (local.get $av)))
                (local.set $c10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c10)))
                (local.set $c11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c11)))
                (local.set $x (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $av) (local.get $av)))
                (local.set $c20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c20)))
                (local.set $c21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c21)))
                (local.set $x (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $av) (local.get $av)))
                (local.set $c30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c30)))
                (local.set $c31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c31)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
                (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $ks)))
            (local.set $pc (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $p) (i32.const 3))) (i32.const 2))))
            (call $store8 (local.get $pc) (local.get $c00) (local.get $c01) (local.get $n))
            (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $M))
              (then (call $store8 (i32.add (local.get $pc) (local.get $rowb)) (local.get $c10) (local.get $c11) (local.get $n))))
            (if (i32.lt_u (i32.add (local.get $i) (i32.const 2)) (local.get $M))
              (then (call $store8 (i32.add (local.get $pc) (i32.shl (local.get $rowb) (i32.const 1))) (local.get $c20) (local.get $c21) (local.get $n))))
            (if (i32.lt_u (i32.add (local.get $i) (i32.const 3)) (local.get $M))
              (then (call $store8 (i32.add (local.get $pc) (i32.mul (local.get $rowb) (i32.const 3))) (local.get $c30) (local.get $c31) (local.get $n))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $is)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $ps))))
;; Products [first, last) of a list of records of 10 i32 at list + 40 i: a, sam, sak, b,
  ;; sbk, sbn, c, m, n, k (as GemmCall in gemm.ts), each packed into ap and bp and computed
  ;; whole; consecutive records with the same B reuse its packing.
  (func (export "gemmBatch") (param $list i32) (param $first i32) (param $last i32) (param $ap i32) (param $bp i32)
    (local $r i32) (local $m i32) (local $n i32) (local $k i32) (local $panels i32)
    (local $pb i32) (local $psk i32) (local $psn i32) (local $pk i32) (local $pn i32)
    (local.set $pb (i32.const -1))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $first) (local.get $last)))
      (local.set $r (i32.add (local.get $list) (i32.mul (local.get $first) (i32.const 40))))
      (local.set $m (i32.load offset=28 (local.get $r)))
      (local.set $n (i32.load offset=32 (local.get $r)))
      (local.set $k (i32.load offset=36 (local.get $r)))
      (if (i32.and (i32.ne (local.get $m) (i32.const 0)) (i32.ne (local.get $n) (i32.const 0)))
        (then
          (if (i32.eqz (i32.and (i32.and (i32.eq (local.get $pb) (i32.load offset=12 (local.get $r)))
                                         (i32.eq (local.get $psk) (i32.load offset=16 (local.get $r))))
                                (i32.and (i32.and (i32.eq (local.get $psn) (i32.load offset=20 (local.get $r)))
                                                  (i32.eq (local.get $pk) (local.get $k)))
                                         (i32.eq (local.get $pn) (local.get $n)))))
            (then
              (local.set $pb (i32.load offset=12 (local.get $r)))
              (local.set $psk (i32.load offset=16 (local.get $r)))
              (local.set $psn (i32.load offset=20 (local.get $r)))
              (local.set $pk (local.get $k))
              (local.set $pn (local.get $n))
              (call $pack (local.get $pb) (local.get $psk) (local.get $psn) (local.get $k) (local.get $n) (local.get $bp))))
          (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
          (if (i32.gt_u (local.get $m) (i32.const 1))
            (then
              (call $packA (i32.load (local.get $r)) (i32.load offset=4 (local.get $r)) (i32.load offset=8 (local.get $r))
                (local.get $m) (local.get $k) (local.get $ap))
              (call $gemmPacked (local.get $ap) (local.get $bp) (i32.load offset=24 (local.get $r)) (local.get $n)
                (local.get $m) (local.get $n) (local.get $k) (i32.const 0) (local.get $panels)))
            (else
              (call $gemm (i32.load (local.get $r)) (i32.load offset=4 (local.get $r)) (i32.load offset=8 (local.get $r))
                (local.get $bp) (i32.load offset=24 (local.get $r)) (local.get $n) (local.get $m) (local.get $n) (local.get $k)
                (i32.const 0) (local.get $panels))))))
      (local.set $first (i32.add (local.get $first) (i32.const 1)))
      (br $each))))
)
