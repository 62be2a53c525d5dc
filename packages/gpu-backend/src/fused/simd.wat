;; WebAssembly SIMD (128-bit) versions of the fused kernels in kernels.ts, run in place on the tfjs
;; wasm backend's own memory (imported as env.memory). Every pointer is a byte offset into that
;; memory; every array is float32. Rows of any length: the vector loop covers whole groups of four,
;; a scalar loop the rest. Arithmetic is float32 throughout (as PyTorch's CPU kernels), except the
;; sum of squares (float64 lanes) and the logarithm and exponential (imported: wasm has none).
;;
;; Assembled by scripts/build-simd.mjs (wabt) into simd-module.ts; simd.test.ts checks that the
;; committed module is this file's assembly.
(module
  (import "env" "memory" (memory 0))
  (import "env" "log" (func $log (param f64) (result f64)))
  (import "env" "exp" (func $exp (param f64) (result f64)))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func $hmax (param $v v128) (result f32)
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; softmax backward per row of n: dx = y ⊙ (dy − Σⱼ dyⱼ·yⱼ)
  (func (export "softmax_grad")
    (param $dy i32) (param $y i32) (param $dx i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $k i32) (local $bytes i32) (local $vbytes i32)
    (local $acc0 v128) (local $acc1 v128) (local $dot f32) (local $vdot v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vbytes (i32.and (local.get $bytes) (i32.const -32)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $acc0 (v128.const f32x4 0 0 0 0))
        (local.set $acc1 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        ;; two partial sums: one serial chain of adds would wait on every add
        (block $d1
          (loop $l1
            (br_if $d1 (i32.ge_u (local.get $k) (local.get $vbytes)))
            (local.set $acc0
              (f32x4.add (local.get $acc0)
                (f32x4.mul
                  (v128.load (i32.add (local.get $dy) (local.get $k)))
                  (v128.load (i32.add (local.get $y) (local.get $k))))))
            (local.set $acc1
              (f32x4.add (local.get $acc1)
                (f32x4.mul
                  (v128.load offset=16 (i32.add (local.get $dy) (local.get $k)))
                  (v128.load offset=16 (i32.add (local.get $y) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 32)))
            (br $l1)))
        (local.set $dot (call $hsum (f32x4.add (local.get $acc0) (local.get $acc1))))
        (block $d2
          (loop $l2
            (br_if $d2 (i32.ge_u (local.get $k) (local.get $bytes)))
            (local.set $dot
              (f32.add (local.get $dot)
                (f32.mul
                  (f32.load (i32.add (local.get $dy) (local.get $k)))
                  (f32.load (i32.add (local.get $y) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $l2)))
        (local.set $vdot (f32x4.splat (local.get $dot)))
        (local.set $k (i32.const 0))
        (block $d3
          (loop $l3
            (br_if $d3 (i32.ge_u (local.get $k) (local.get $vbytes)))
            (v128.store (i32.add (local.get $dx) (local.get $k))
              (f32x4.mul
                (v128.load (i32.add (local.get $y) (local.get $k)))
                (f32x4.sub (v128.load (i32.add (local.get $dy) (local.get $k))) (local.get $vdot))))
            (v128.store offset=16 (i32.add (local.get $dx) (local.get $k))
              (f32x4.mul
                (v128.load offset=16 (i32.add (local.get $y) (local.get $k)))
                (f32x4.sub (v128.load offset=16 (i32.add (local.get $dy) (local.get $k))) (local.get $vdot))))
            (local.set $k (i32.add (local.get $k) (i32.const 32)))
            (br $l3)))
        (block $d4
          (loop $l4
            (br_if $d4 (i32.ge_u (local.get $k) (local.get $bytes)))
            (f32.store (i32.add (local.get $dx) (local.get $k))
              (f32.mul
                (f32.load (i32.add (local.get $y) (local.get $k)))
                (f32.sub (f32.load (i32.add (local.get $dy) (local.get $k))) (local.get $dot))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $l4)))
        (local.set $dy (i32.add (local.get $dy) (local.get $bytes)))
        (local.set $y (i32.add (local.get $y) (local.get $bytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $bytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; SwiGLU backward for out = g·σ(g)·u, from s = σ(g): du = dy·g·s, dg = dy·u·s·(1 + g·(1 − s))
  (func (export "swiglu_grad")
    (param $dy i32) (param $g i32) (param $u i32) (param $s i32) (param $dg i32) (param $du i32)
    (param $count i32)
    (local $k i32) (local $bytes i32) (local $vbytes i32)
    (local $vd v128) (local $vs v128) (local $gs v128)
    (local $fd f32) (local $fs f32) (local $fgs f32)
    (local.set $bytes (i32.shl (local.get $count) (i32.const 2)))
    (local.set $vbytes (i32.and (local.get $bytes) (i32.const -16)))
    (block $d1
      (loop $l1
        (br_if $d1 (i32.ge_u (local.get $k) (local.get $vbytes)))
        (local.set $vd (v128.load (i32.add (local.get $dy) (local.get $k))))
        (local.set $vs (v128.load (i32.add (local.get $s) (local.get $k))))
        (local.set $gs (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $k))) (local.get $vs)))
        (v128.store (i32.add (local.get $du) (local.get $k)) (f32x4.mul (local.get $vd) (local.get $gs)))
        (v128.store (i32.add (local.get $dg) (local.get $k))
          (f32x4.mul
            (f32x4.mul (local.get $vd) (v128.load (i32.add (local.get $u) (local.get $k))))
            (f32x4.add (local.get $vs)
              (f32x4.mul (local.get $gs) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $vs))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l1)))
    (block $d2
      (loop $l2
        (br_if $d2 (i32.ge_u (local.get $k) (local.get $bytes)))
        (local.set $fd (f32.load (i32.add (local.get $dy) (local.get $k))))
        (local.set $fs (f32.load (i32.add (local.get $s) (local.get $k))))
        (local.set $fgs (f32.mul (f32.load (i32.add (local.get $g) (local.get $k))) (local.get $fs)))
        (f32.store (i32.add (local.get $du) (local.get $k)) (f32.mul (local.get $fd) (local.get $fgs)))
        (f32.store (i32.add (local.get $dg) (local.get $k))
          (f32.mul
            (f32.mul (local.get $fd) (f32.load (i32.add (local.get $u) (local.get $k))))
            (f32.add (local.get $fs)
              (f32.mul (local.get $fgs) (f32.sub (f32.const 1) (local.get $fs))))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l2))))

  ;; log-sum-exp per row of x [rows, classes] from p = softmax(x): lse = x − log p at the row's
  ;; first largest p (see softmaxLseKernel)
  (func (export "softmax_lse")
    (param $x i32) (param $p i32) (param $lse i32) (param $rows i32) (param $classes i32)
    (local $r i32) (local $k i32) (local $bytes i32) (local $vbytes i32)
    (local $vmax v128) (local $pmax f32) (local $splat v128)
    (local.set $bytes (i32.shl (local.get $classes) (i32.const 2)))
    (local.set $vbytes (i32.and (local.get $bytes) (i32.const -16)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $vmax (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $k (i32.const 0))
        (block $d1
          (loop $l1
            (br_if $d1 (i32.ge_u (local.get $k) (local.get $vbytes)))
            (local.set $vmax
              (f32x4.max (local.get $vmax) (v128.load (i32.add (local.get $p) (local.get $k)))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $l1)))
        (local.set $pmax (call $hmax (local.get $vmax)))
        (block $d2
          (loop $l2
            (br_if $d2 (i32.ge_u (local.get $k) (local.get $bytes)))
            (local.set $pmax (f32.max (local.get $pmax) (f32.load (i32.add (local.get $p) (local.get $k)))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $l2)))
        ;; the first group of four holding the maximum, then the element in it
        (local.set $splat (f32x4.splat (local.get $pmax)))
        (local.set $k (i32.const 0))
        (block $d3
          (loop $l3
            (br_if $d3 (i32.ge_u (local.get $k) (local.get $vbytes)))
            (br_if $d3
              (v128.any_true
                (f32x4.eq (v128.load (i32.add (local.get $p) (local.get $k))) (local.get $splat))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $l3)))
        (block $d4
          (loop $l4
            (br_if $d4 (i32.ge_u (local.get $k) (local.get $bytes)))
            (br_if $d4 (f32.eq (f32.load (i32.add (local.get $p) (local.get $k))) (local.get $pmax)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $l4)))
        ;; not found (a NaN row): the first element, as the JS kernel
        (if (i32.ge_u (local.get $k) (local.get $bytes)) (then (local.set $k (i32.const 0))))
        (f32.store (i32.add (local.get $lse) (i32.shl (local.get $r) (i32.const 2)))
          (f32.demote_f64
            (f64.sub
              (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $k))))
              (call $log (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $k))))))))
        (local.set $x (i32.add (local.get $x) (local.get $bytes)))
        (local.set $p (i32.add (local.get $p) (local.get $bytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; one AdamW step (see adamwKernel): g' = g·gradScale, m' = β₁m + a₁g', v' = β₂v + a₂g'²,
  ;; p' = p·decay − stepSize·m'/(√(v'·invC2) + ε)
  (func (export "adamw")
    (param $p i32) (param $m i32) (param $v i32) (param $g i32)
    (param $po i32) (param $mo i32) (param $vo i32) (param $count i32)
    (param $beta1 f32) (param $a1 f32) (param $beta2 f32) (param $a2 f32)
    (param $decay f32) (param $stepSize f32) (param $invC2 f32) (param $eps f32) (param $gradScale f32)
    (local $k i32) (local $bytes i32) (local $vbytes i32)
    (local $vg v128) (local $vm v128) (local $vv v128)
    (local $fg f32) (local $fm f32) (local $fv f32)
    (local.set $bytes (i32.shl (local.get $count) (i32.const 2)))
    (local.set $vbytes (i32.and (local.get $bytes) (i32.const -16)))
    (block $d1
      (loop $l1
        (br_if $d1 (i32.ge_u (local.get $k) (local.get $vbytes)))
        (local.set $vg
          (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $k))) (f32x4.splat (local.get $gradScale))))
        (local.set $vm
          (f32x4.add
            (f32x4.mul (f32x4.splat (local.get $beta1)) (v128.load (i32.add (local.get $m) (local.get $k))))
            (f32x4.mul (f32x4.splat (local.get $a1)) (local.get $vg))))
        (local.set $vv
          (f32x4.add
            (f32x4.mul (f32x4.splat (local.get $beta2)) (v128.load (i32.add (local.get $v) (local.get $k))))
            (f32x4.mul (f32x4.mul (f32x4.splat (local.get $a2)) (local.get $vg)) (local.get $vg))))
        (v128.store (i32.add (local.get $mo) (local.get $k)) (local.get $vm))
        (v128.store (i32.add (local.get $vo) (local.get $k)) (local.get $vv))
        (v128.store (i32.add (local.get $po) (local.get $k))
          (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $k))) (f32x4.splat (local.get $decay)))
            (f32x4.div
              (f32x4.mul (f32x4.splat (local.get $stepSize)) (local.get $vm))
              (f32x4.add
                (f32x4.sqrt (f32x4.mul (local.get $vv) (f32x4.splat (local.get $invC2))))
                (f32x4.splat (local.get $eps))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l1)))
    (block $d2
      (loop $l2
        (br_if $d2 (i32.ge_u (local.get $k) (local.get $bytes)))
        (local.set $fg (f32.mul (f32.load (i32.add (local.get $g) (local.get $k))) (local.get $gradScale)))
        (local.set $fm
          (f32.add
            (f32.mul (local.get $beta1) (f32.load (i32.add (local.get $m) (local.get $k))))
            (f32.mul (local.get $a1) (local.get $fg))))
        (local.set $fv
          (f32.add
            (f32.mul (local.get $beta2) (f32.load (i32.add (local.get $v) (local.get $k))))
            (f32.mul (f32.mul (local.get $a2) (local.get $fg)) (local.get $fg))))
        (f32.store (i32.add (local.get $mo) (local.get $k)) (local.get $fm))
        (f32.store (i32.add (local.get $vo) (local.get $k)) (local.get $fv))
        (f32.store (i32.add (local.get $po) (local.get $k))
          (f32.sub
            (f32.mul (f32.load (i32.add (local.get $p) (local.get $k))) (local.get $decay))
            (f32.div
              (f32.mul (local.get $stepSize) (local.get $fm))
              (f32.add (f32.sqrt (f32.mul (local.get $fv) (local.get $invC2))) (local.get $eps)))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l2))))

  ;; Σ x² over count floats, accumulated in float64
  (func (export "sum_sq") (param $x i32) (param $count i32) (result f64)
    (local $k i32) (local $bytes i32) (local $vbytes i32)
    (local $v v128) (local $lo v128) (local $hi v128) (local $acc0 v128) (local $acc1 v128)
    (local $tail f64) (local $f f64)
    (local.set $bytes (i32.shl (local.get $count) (i32.const 2)))
    (local.set $vbytes (i32.and (local.get $bytes) (i32.const -16)))
    (block $d1
      (loop $l1
        (br_if $d1 (i32.ge_u (local.get $k) (local.get $vbytes)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $k))))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $hi
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $hi) (local.get $hi))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l1)))
    (block $d2
      (loop $l2
        (br_if $d2 (i32.ge_u (local.get $k) (local.get $bytes)))
        (local.set $f (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $k)))))
        (local.set $tail (f64.add (local.get $tail) (f64.mul (local.get $f) (local.get $f))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l2)))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (f64.add
      (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0)))
      (local.get $tail)))

  ;; RMSNorm forward per row of n: inv = 1/√(Σx²/n + eps), y = x·inv·w; inv [rows] is saved for
  ;; the backward
  (func (export "rms_norm")
    (param $x i32) (param $w i32) (param $y i32) (param $inv i32) (param $rows i32) (param $n i32)
    (param $eps f32)
    (local $r i32) (local $k i32) (local $bytes i32) (local $vbytes i32)
    (local $acc v128) (local $ss f32) (local $iv f32) (local $viv v128) (local $f f32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vbytes (i32.and (local.get $bytes) (i32.const -16)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $d1
          (loop $l1
            (br_if $d1 (i32.ge_u (local.get $k) (local.get $vbytes)))
            (local.set $acc
              (f32x4.add (local.get $acc)
                (f32x4.mul
                  (v128.load (i32.add (local.get $x) (local.get $k)))
                  (v128.load (i32.add (local.get $x) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $l1)))
        (local.set $ss (call $hsum (local.get $acc)))
        (block $d2
          (loop $l2
            (br_if $d2 (i32.ge_u (local.get $k) (local.get $bytes)))
            (local.set $f (f32.load (i32.add (local.get $x) (local.get $k))))
            (local.set $ss (f32.add (local.get $ss) (f32.mul (local.get $f) (local.get $f))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $l2)))
        (local.set $iv
          (f32.div (f32.const 1)
            (f32.sqrt
              (f32.add (f32.div (local.get $ss) (f32.convert_i32_u (local.get $n))) (local.get $eps)))))
        (f32.store (i32.add (local.get $inv) (i32.shl (local.get $r) (i32.const 2))) (local.get $iv))
        (local.set $viv (f32x4.splat (local.get $iv)))
        (local.set $k (i32.const 0))
        (block $d3
          (loop $l3
            (br_if $d3 (i32.ge_u (local.get $k) (local.get $vbytes)))
            (v128.store (i32.add (local.get $y) (local.get $k))
              (f32x4.mul
                (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $viv))
                (v128.load (i32.add (local.get $w) (local.get $k)))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $l3)))
        (block $d4
          (loop $l4
            (br_if $d4 (i32.ge_u (local.get $k) (local.get $bytes)))
            (f32.store (i32.add (local.get $y) (local.get $k))
              (f32.mul
                (f32.mul (f32.load (i32.add (local.get $x) (local.get $k))) (local.get $iv))
                (f32.load (i32.add (local.get $w) (local.get $k)))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $l4)))
        (local.set $x (i32.add (local.get $x) (local.get $bytes)))
        (local.set $y (i32.add (local.get $y) (local.get $bytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; RMSNorm backward: with c = Σⱼ dyⱼ·wⱼ·xⱼ per row, dx = inv·(dy·w) − x·inv³·c/n and
  ;; dw = Σ_rows dy·x·inv (dw is overwritten)
  (func (export "rms_norm_grad")
    (param $dy i32) (param $x i32) (param $w i32) (param $inv i32) (param $dx i32) (param $dw i32)
    (param $rows i32) (param $n i32)
    (local $r i32) (local $k i32) (local $bytes i32) (local $vbytes i32)
    (local $acc v128) (local $c f32) (local $iv f32) (local $coef f32) (local $viv v128) (local $vcoef v128)
    (local $vdy v128) (local $vx v128) (local $fdy f32) (local $fx f32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vbytes (i32.and (local.get $bytes) (i32.const -16)))
    (memory.fill (local.get $dw) (i32.const 0) (local.get $bytes))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $iv (f32.load (i32.add (local.get $inv) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $d1
          (loop $l1
            (br_if $d1 (i32.ge_u (local.get $k) (local.get $vbytes)))
            (local.set $acc
              (f32x4.add (local.get $acc)
                (f32x4.mul
                  (f32x4.mul
                    (v128.load (i32.add (local.get $dy) (local.get $k)))
                    (v128.load (i32.add (local.get $w) (local.get $k))))
                  (v128.load (i32.add (local.get $x) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $l1)))
        (local.set $c (call $hsum (local.get $acc)))
        (block $d2
          (loop $l2
            (br_if $d2 (i32.ge_u (local.get $k) (local.get $bytes)))
            (local.set $c
              (f32.add (local.get $c)
                (f32.mul
                  (f32.mul
                    (f32.load (i32.add (local.get $dy) (local.get $k)))
                    (f32.load (i32.add (local.get $w) (local.get $k))))
                  (f32.load (i32.add (local.get $x) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $l2)))
        (local.set $coef
          (f32.div
            (f32.mul (f32.mul (f32.mul (local.get $iv) (local.get $iv)) (local.get $iv)) (local.get $c))
            (f32.convert_i32_u (local.get $n))))
        (local.set $viv (f32x4.splat (local.get $iv)))
        (local.set $vcoef (f32x4.splat (local.get $coef)))
        (local.set $k (i32.const 0))
        (block $d3
          (loop $l3
            (br_if $d3 (i32.ge_u (local.get $k) (local.get $vbytes)))
            (local.set $vdy (v128.load (i32.add (local.get $dy) (local.get $k))))
            (local.set $vx (v128.load (i32.add (local.get $x) (local.get $k))))
            (v128.store (i32.add (local.get $dx) (local.get $k))
              (f32x4.sub
                (f32x4.mul (local.get $viv)
                  (f32x4.mul (local.get $vdy) (v128.load (i32.add (local.get $w) (local.get $k)))))
                (f32x4.mul (local.get $vx) (local.get $vcoef))))
            (v128.store (i32.add (local.get $dw) (local.get $k))
              (f32x4.add (v128.load (i32.add (local.get $dw) (local.get $k)))
                (f32x4.mul (f32x4.mul (local.get $vdy) (local.get $vx)) (local.get $viv))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $l3)))
        (block $d4
          (loop $l4
            (br_if $d4 (i32.ge_u (local.get $k) (local.get $bytes)))
            (local.set $fdy (f32.load (i32.add (local.get $dy) (local.get $k))))
            (local.set $fx (f32.load (i32.add (local.get $x) (local.get $k))))
            (f32.store (i32.add (local.get $dx) (local.get $k))
              (f32.sub
                (f32.mul (local.get $iv)
                  (f32.mul (local.get $fdy) (f32.load (i32.add (local.get $w) (local.get $k)))))
                (f32.mul (local.get $fx) (local.get $coef))))
            (f32.store (i32.add (local.get $dw) (local.get $k))
              (f32.add (f32.load (i32.add (local.get $dw) (local.get $k)))
                (f32.mul (f32.mul (local.get $fdy) (local.get $fx)) (local.get $iv))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $l4)))
        (local.set $dy (i32.add (local.get $dy) (local.get $bytes)))
        (local.set $x (i32.add (local.get $x) (local.get $bytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $bytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Dropout by a counter-based hash: element i is kept when hash(seed, i) ≥ rate·2³² (as unsigned)
  ;; and then scaled by `scale` = 1/(1 − rate); the mask depends only on (seed, i), so the backward
  ;; is the same call on dy. hash: x = seed ⊕ (i·0x9E3779B9), then the murmur3 32-bit finaliser.
  (func (export "dropout")
    (param $x i32) (param $y i32) (param $count i32) (param $seed i32) (param $threshold i32)
    (param $scale f32)
    (local $k i32) (local $bytes i32) (local $vbytes i32)
    (local $idx v128) (local $h v128) (local $vthr v128) (local $keep v128)
    (local $i i32) (local $hs i32)
    (local.set $bytes (i32.shl (local.get $count) (i32.const 2)))
    (local.set $vbytes (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $idx (v128.const i32x4 0 1 2 3))
    ;; unsigned comparison h ≥ threshold as signed after flipping the sign bit of both
    (local.set $vthr (i32x4.splat (i32.xor (local.get $threshold) (i32.const 0x80000000))))
    (block $d1
      (loop $l1
        (br_if $d1 (i32.ge_u (local.get $k) (local.get $vbytes)))
        (local.set $h
          (v128.xor (i32x4.splat (local.get $seed)) (i32x4.mul (local.get $idx) (i32x4.splat (i32.const 0x9E3779B9)))))
        (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
        (local.set $h (i32x4.mul (local.get $h) (i32x4.splat (i32.const 0x85EBCA6B))))
        (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 13))))
        (local.set $h (i32x4.mul (local.get $h) (i32x4.splat (i32.const 0xC2B2AE35))))
        (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
        (local.set $keep
          (i32x4.ge_s (v128.xor (local.get $h) (i32x4.splat (i32.const 0x80000000))) (local.get $vthr)))
        (v128.store (i32.add (local.get $y) (local.get $k))
          (v128.and (local.get $keep)
            (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $k))) (f32x4.splat (local.get $scale)))))
        (local.set $idx (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l1)))
    (local.set $i (i32.shr_u (local.get $k) (i32.const 2)))
    (block $d2
      (loop $l2
        (br_if $d2 (i32.ge_u (local.get $k) (local.get $bytes)))
        (local.set $hs (i32.xor (local.get $seed) (i32.mul (local.get $i) (i32.const 0x9E3779B9))))
        (local.set $hs (i32.xor (local.get $hs) (i32.shr_u (local.get $hs) (i32.const 16))))
        (local.set $hs (i32.mul (local.get $hs) (i32.const 0x85EBCA6B)))
        (local.set $hs (i32.xor (local.get $hs) (i32.shr_u (local.get $hs) (i32.const 13))))
        (local.set $hs (i32.mul (local.get $hs) (i32.const 0xC2B2AE35)))
        (local.set $hs (i32.xor (local.get $hs) (i32.shr_u (local.get $hs) (i32.const 16))))
        (f32.store (i32.add (local.get $y) (local.get $k))
          (select
            (f32.mul (f32.load (i32.add (local.get $x) (local.get $k))) (local.get $scale))
            (f32.const 0)
            (i32.ge_u (local.get $hs) (local.get $threshold))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l2))))

;; Rotary positions on x [b, h, t, d] with cos, sin [cb, 1, t, d] (cb = 1 or b: `cstride` is the
;; byte stride of one batch of cos/sin, 0 when shared), half = d/2, rows of x in order:
;;   forward  y[j] = x[j]·c[j] − x[j+half]·s[j],      y[j+half] = x[j+half]·c[j+half] + x[j]·s[j+half]
;;   backward dx[j] = dy[j]·c[j] + dy[j+half]·s[j+half], dx[j+half] = dy[j+half]·c[j+half] − dy[j]·s[j]
;; (`back` = 0 or 1 picks the direction). Row lengths with half not a multiple of four take the
;; scalar loop for the rest.
  (func (export "rotary")
    (param $x i32) (param $c0 i32) (param $s0 i32) (param $y i32)
    (param $b i32) (param $h i32) (param $t i32) (param $d i32) (param $cstride i32) (param $back i32)
    (local $bi i32) (local $hi i32) (local $ti i32) (local $k i32)
    (local $half i32) (local $vhalf i32) (local $row i32)
    (local $c i32) (local $s i32)
    (local $x1 v128) (local $x2 v128) (local $fx1 f32) (local $fx2 f32)
    (local.set $half (i32.shl (i32.shr_u (local.get $d) (i32.const 1)) (i32.const 2)))
    (local.set $vhalf (i32.and (local.get $half) (i32.const -16)))
    (local.set $row (i32.shl (local.get $d) (i32.const 2)))
    (block $b_done
      (loop $b_loop
        (br_if $b_done (i32.ge_u (local.get $bi) (local.get $b)))
        (local.set $hi (i32.const 0))
        (block $h_done
          (loop $h_loop
            (br_if $h_done (i32.ge_u (local.get $hi) (local.get $h)))
            (local.set $c (i32.add (local.get $c0) (i32.mul (local.get $bi) (local.get $cstride))))
            (local.set $s (i32.add (local.get $s0) (i32.mul (local.get $bi) (local.get $cstride))))
            (local.set $ti (i32.const 0))
            (block $t_done
              (loop $t_loop
                (br_if $t_done (i32.ge_u (local.get $ti) (local.get $t)))
                (local.set $k (i32.const 0))
                (block $v_done
                  (loop $v_loop
                    (br_if $v_done (i32.ge_u (local.get $k) (local.get $vhalf)))
                    (local.set $x1 (v128.load (i32.add (local.get $x) (local.get $k))))
                    (local.set $x2 (v128.load (i32.add (i32.add (local.get $x) (local.get $half)) (local.get $k))))
                    (if (local.get $back)
                      (then
                        (v128.store (i32.add (local.get $y) (local.get $k))
                          (f32x4.add
                            (f32x4.mul (local.get $x1) (v128.load (i32.add (local.get $c) (local.get $k))))
                            (f32x4.mul (local.get $x2)
                              (v128.load (i32.add (i32.add (local.get $s) (local.get $half)) (local.get $k))))))
                        (v128.store (i32.add (i32.add (local.get $y) (local.get $half)) (local.get $k))
                          (f32x4.sub
                            (f32x4.mul (local.get $x2)
                              (v128.load (i32.add (i32.add (local.get $c) (local.get $half)) (local.get $k))))
                            (f32x4.mul (local.get $x1) (v128.load (i32.add (local.get $s) (local.get $k)))))))
                      (else
                        (v128.store (i32.add (local.get $y) (local.get $k))
                          (f32x4.sub
                            (f32x4.mul (local.get $x1) (v128.load (i32.add (local.get $c) (local.get $k))))
                            (f32x4.mul (local.get $x2) (v128.load (i32.add (local.get $s) (local.get $k))))))
                        (v128.store (i32.add (i32.add (local.get $y) (local.get $half)) (local.get $k))
                          (f32x4.add
                            (f32x4.mul (local.get $x2)
                              (v128.load (i32.add (i32.add (local.get $c) (local.get $half)) (local.get $k))))
                            (f32x4.mul (local.get $x1)
                              (v128.load (i32.add (i32.add (local.get $s) (local.get $half)) (local.get $k))))))))
                    (local.set $k (i32.add (local.get $k) (i32.const 16)))
                    (br $v_loop)))
                (block $s_done
                  (loop $s_loop
                    (br_if $s_done (i32.ge_u (local.get $k) (local.get $half)))
                    (local.set $fx1 (f32.load (i32.add (local.get $x) (local.get $k))))
                    (local.set $fx2 (f32.load (i32.add (i32.add (local.get $x) (local.get $half)) (local.get $k))))
                    (if (local.get $back)
                      (then
                        (f32.store (i32.add (local.get $y) (local.get $k))
                          (f32.add
                            (f32.mul (local.get $fx1) (f32.load (i32.add (local.get $c) (local.get $k))))
                            (f32.mul (local.get $fx2)
                              (f32.load (i32.add (i32.add (local.get $s) (local.get $half)) (local.get $k))))))
                        (f32.store (i32.add (i32.add (local.get $y) (local.get $half)) (local.get $k))
                          (f32.sub
                            (f32.mul (local.get $fx2)
                              (f32.load (i32.add (i32.add (local.get $c) (local.get $half)) (local.get $k))))
                            (f32.mul (local.get $fx1) (f32.load (i32.add (local.get $s) (local.get $k)))))))
                      (else
                        (f32.store (i32.add (local.get $y) (local.get $k))
                          (f32.sub
                            (f32.mul (local.get $fx1) (f32.load (i32.add (local.get $c) (local.get $k))))
                            (f32.mul (local.get $fx2) (f32.load (i32.add (local.get $s) (local.get $k))))))
                        (f32.store (i32.add (i32.add (local.get $y) (local.get $half)) (local.get $k))
                          (f32.add
                            (f32.mul (local.get $fx2)
                              (f32.load (i32.add (i32.add (local.get $c) (local.get $half)) (local.get $k))))
                            (f32.mul (local.get $fx1)
                              (f32.load (i32.add (i32.add (local.get $s) (local.get $half)) (local.get $k))))))))
                    (local.set $k (i32.add (local.get $k) (i32.const 4)))
                    (br $s_loop)))
                (local.set $x (i32.add (local.get $x) (local.get $row)))
                (local.set $y (i32.add (local.get $y) (local.get $row)))
                (local.set $c (i32.add (local.get $c) (local.get $row)))
                (local.set $s (i32.add (local.get $s) (local.get $row)))
                (local.set $ti (i32.add (local.get $ti) (i32.const 1)))
                (br $t_loop)))
            (local.set $hi (i32.add (local.get $hi) (i32.const 1)))
            (br $h_loop)))
        (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
        (br $b_loop))))

  ;; HydraLoRA's router softmax and head mixing: per row t, ω = softmax(l[t, 0..heads)) into w
  ;; [rows, heads] and z[t, i·r + k] = scale·ωᵢ·h[t, k] into z [rows, heads·r]. h and l are read at
  ;; row strides hs and ls (bytes), so both may be columns of one packed x·[A | W_g] product.
  (func (export "softmax_mix")
    (param $h i32) (param $hs i32) (param $l i32) (param $ls i32) (param $z i32) (param $w i32)
    (param $rows i32) (param $r i32) (param $heads i32) (param $scale f32)
    (local $t i32) (local $i i32) (local $k i32) (local $rb i32) (local $vrb i32) (local $hb i32)
    (local $max f32) (local $e f32) (local $sum f32) (local $si f32) (local $vsi v128)
    (local.set $rb (i32.shl (local.get $r) (i32.const 2)))
    (local.set $vrb (i32.and (local.get $rb) (i32.const -16)))
    (local.set $hb (i32.shl (local.get $heads) (i32.const 2)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $t) (local.get $rows)))
        ;; max over the heads' logits
        (local.set $max (f32.load (local.get $l)))
        (local.set $i (i32.const 4))
        (block $m_done
          (loop $m
            (br_if $m_done (i32.ge_u (local.get $i) (local.get $hb)))
            (local.set $max (f32.max (local.get $max) (f32.load (i32.add (local.get $l) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $m)))
        ;; exponentials into w and their sum
        (local.set $sum (f32.const 0))
        (local.set $i (i32.const 0))
        (block $e_done
          (loop $ex
            (br_if $e_done (i32.ge_u (local.get $i) (local.get $hb)))
            (local.set $e
              (f32.demote_f64
                (call $exp
                  (f64.promote_f32 (f32.sub (f32.load (i32.add (local.get $l) (local.get $i))) (local.get $max))))))
            (f32.store (i32.add (local.get $w) (local.get $i)) (local.get $e))
            (local.set $sum (f32.add (local.get $sum) (local.get $e)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $ex)))
        ;; ω = e / Σe, and one block of z per head
        (local.set $i (i32.const 0))
        (block $h_done
          (loop $hd
            (br_if $h_done (i32.ge_u (local.get $i) (local.get $hb)))
            (local.set $e (f32.div (f32.load (i32.add (local.get $w) (local.get $i))) (local.get $sum)))
            (f32.store (i32.add (local.get $w) (local.get $i)) (local.get $e))
            (local.set $si (f32.mul (local.get $scale) (local.get $e)))
            (local.set $vsi (f32x4.splat (local.get $si)))
            (local.set $k (i32.const 0))
            (block $v_done
              (loop $v
                (br_if $v_done (i32.ge_u (local.get $k) (local.get $vrb)))
                (v128.store (i32.add (local.get $z) (local.get $k))
                  (f32x4.mul (local.get $vsi) (v128.load (i32.add (local.get $h) (local.get $k)))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $v)))
            (block $s_done
              (loop $s
                (br_if $s_done (i32.ge_u (local.get $k) (local.get $rb)))
                (f32.store (i32.add (local.get $z) (local.get $k))
                  (f32.mul (local.get $si) (f32.load (i32.add (local.get $h) (local.get $k)))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $s)))
            (local.set $z (i32.add (local.get $z) (local.get $rb)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $hd)))
        (local.set $h (i32.add (local.get $h) (local.get $hs)))
        (local.set $l (i32.add (local.get $l) (local.get $ls)))
        (local.set $w (i32.add (local.get $w) (local.get $hb)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $row))))

  ;; The backward of softmax_mix: dωᵢ = scale·Σₖ dz[t, i·r + k]·h[t, k], dh[t, k] = scale·Σᵢ ωᵢ·dz[t, i·r + k],
  ;; dl = ω ⊙ (dω − Σᵢ ωᵢ·dωᵢ); dh and dl are written at row strides dhs and dls (bytes), so both
  ;; may be columns of one packed gradient. dz is [rows, heads·r], w is [rows, heads].
  (func (export "softmax_mix_grad")
    (param $dz i32) (param $h i32) (param $hs i32) (param $w i32) (param $dh i32) (param $dhs i32)
    (param $dl i32) (param $dls i32) (param $rows i32) (param $r i32) (param $heads i32)
    (param $scale f32)
    (local $t i32) (local $i i32) (local $k i32) (local $rb i32) (local $vrb i32) (local $hb i32)
    (local $wi f32) (local $vswi v128) (local $acc v128) (local $a f32) (local $g f32) (local $dot f32)
    (local $dw f32)
    (local.set $rb (i32.shl (local.get $r) (i32.const 2)))
    (local.set $vrb (i32.and (local.get $rb) (i32.const -16)))
    (local.set $hb (i32.shl (local.get $heads) (i32.const 2)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $t) (local.get $rows)))
        ;; dh = 0
        (local.set $k (i32.const 0))
        (block $z_done
          (loop $zl
            (br_if $z_done (i32.ge_u (local.get $k) (local.get $rb)))
            (f32.store (i32.add (local.get $dh) (local.get $k)) (f32.const 0))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $zl)))
        (local.set $dot (f32.const 0))
        (local.set $i (i32.const 0))
        (block $h_done
          (loop $hd
            (br_if $h_done (i32.ge_u (local.get $i) (local.get $hb)))
            (local.set $wi (f32.load (i32.add (local.get $w) (local.get $i))))
            (local.set $vswi (f32x4.splat (f32.mul (local.get $scale) (local.get $wi))))
            (local.set $acc (v128.const f32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $v_done
              (loop $v
                (br_if $v_done (i32.ge_u (local.get $k) (local.get $vrb)))
                (local.set $acc
                  (f32x4.add (local.get $acc)
                    (f32x4.mul (v128.load (i32.add (local.get $dz) (local.get $k)))
                      (v128.load (i32.add (local.get $h) (local.get $k))))))
                (v128.store (i32.add (local.get $dh) (local.get $k))
                  (f32x4.add (v128.load (i32.add (local.get $dh) (local.get $k)))
                    (f32x4.mul (local.get $vswi) (v128.load (i32.add (local.get $dz) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $v)))
            (local.set $a (call $hsum (local.get $acc)))
            (block $s_done
              (loop $s
                (br_if $s_done (i32.ge_u (local.get $k) (local.get $rb)))
                (local.set $g (f32.load (i32.add (local.get $dz) (local.get $k))))
                (local.set $a (f32.add (local.get $a) (f32.mul (local.get $g) (f32.load (i32.add (local.get $h) (local.get $k))))))
                (f32.store (i32.add (local.get $dh) (local.get $k))
                  (f32.add (f32.load (i32.add (local.get $dh) (local.get $k)))
                    (f32.mul (f32.mul (local.get $scale) (local.get $wi)) (local.get $g))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $s)))
            (local.set $dw (f32.mul (local.get $scale) (local.get $a)))
            (f32.store (i32.add (local.get $dl) (local.get $i)) (local.get $dw))
            (local.set $dot (f32.add (local.get $dot) (f32.mul (local.get $wi) (local.get $dw))))
            (local.set $dz (i32.add (local.get $dz) (local.get $rb)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $hd)))
        (local.set $i (i32.const 0))
        (block $d_done
          (loop $dd
            (br_if $d_done (i32.ge_u (local.get $i) (local.get $hb)))
            (f32.store (i32.add (local.get $dl) (local.get $i))
              (f32.mul (f32.load (i32.add (local.get $w) (local.get $i)))
                (f32.sub (f32.load (i32.add (local.get $dl) (local.get $i))) (local.get $dot))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $dd)))
        (local.set $h (i32.add (local.get $h) (local.get $hs)))
        (local.set $w (i32.add (local.get $w) (local.get $hb)))
        (local.set $dh (i32.add (local.get $dh) (local.get $dhs)))
        (local.set $dl (i32.add (local.get $dl) (local.get $dls)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $row))))
)
