;; Nearest and second-nearest of b's 256-bit descriptors to one descriptor of a, by Hamming distance,
;; four of b's at a time with SIMD popcount. Built by `npm run build:wasm` into nearest-descriptors.wasm.
(module
  (memory (export "memory") 1)

  ;; $row: byte offset of a's descriptor; $b: of b's first descriptor; $count: b's descriptors, stored
  ;; padded to a multiple of four (padding lanes are computed but never taken).
  ;; Returns best | second << 9 | bestJ << 18: best and second 257 and bestJ -1 when $count is 0.
  ;; b is walked in order and only a strictly smaller distance replaces best or second, so on ties the
  ;; first j wins, as in a plain loop.
  (func (export "nearest") (param $row i32) (param $b i32) (param $count i32) (result i32)
    (local $j i32) (local $best i32) (local $second i32) (local $bestJ i32) (local $d i32)
    (local $lo v128) (local $hi v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $t01 v128) (local $t23 v128) (local $dist v128)
    (local.set $best (i32.const 257))
    (local.set $second (i32.const 257))
    (local.set $bestJ (i32.const -1))
    (local.set $lo (v128.load (local.get $row)))
    (local.set $hi (v128.load offset=16 (local.get $row)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $j) (local.get $count)))
        ;; Set bits per byte of each of the four XORs (each ≤ 16)…
        (local.set $c0 (i8x16.add
          (i8x16.popcnt (v128.xor (local.get $lo) (v128.load (local.get $b))))
          (i8x16.popcnt (v128.xor (local.get $hi) (v128.load offset=16 (local.get $b))))))
        (local.set $c1 (i8x16.add
          (i8x16.popcnt (v128.xor (local.get $lo) (v128.load offset=32 (local.get $b))))
          (i8x16.popcnt (v128.xor (local.get $hi) (v128.load offset=48 (local.get $b))))))
        (local.set $c2 (i8x16.add
          (i8x16.popcnt (v128.xor (local.get $lo) (v128.load offset=64 (local.get $b))))
          (i8x16.popcnt (v128.xor (local.get $hi) (v128.load offset=80 (local.get $b))))))
        (local.set $c3 (i8x16.add
          (i8x16.popcnt (v128.xor (local.get $lo) (v128.load offset=96 (local.get $b))))
          (i8x16.popcnt (v128.xor (local.get $hi) (v128.load offset=112 (local.get $b))))))
        ;; …folded pairwise into 8 bytes per descriptor (≤ 32)…
        (local.set $t01 (i8x16.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c0) (local.get $c1))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c0) (local.get $c1))))
        (local.set $t23 (i8x16.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c2) (local.get $c3))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c2) (local.get $c3))))
        ;; …then 4 (≤ 64), and widened before the sums could pass a byte: one i32 lane per descriptor.
        (local.set $dist
          (i32x4.extadd_pairwise_i16x8_u
            (i16x8.extadd_pairwise_i8x16_u
              (i8x16.add
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $t01) (local.get $t23))
                (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $t01) (local.get $t23))))))
        ;; Most blocks have no descriptor closer than the second best: nothing to update.
        (if (v128.any_true (i32x4.lt_s (local.get $dist) (i32x4.splat (local.get $second))))
          (then
            (local.set $d (i32x4.extract_lane 0 (local.get $dist)))
            (if (i32.lt_s (local.get $d) (local.get $best))
              (then (local.set $second (local.get $best)) (local.set $best (local.get $d)) (local.set $bestJ (local.get $j)))
              (else (if (i32.lt_s (local.get $d) (local.get $second)) (then (local.set $second (local.get $d))))))
            (if (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $count))
              (then
                (local.set $d (i32x4.extract_lane 1 (local.get $dist)))
                (if (i32.lt_s (local.get $d) (local.get $best))
                  (then (local.set $second (local.get $best)) (local.set $best (local.get $d))
                        (local.set $bestJ (i32.add (local.get $j) (i32.const 1))))
                  (else (if (i32.lt_s (local.get $d) (local.get $second)) (then (local.set $second (local.get $d))))))))
            (if (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $count))
              (then
                (local.set $d (i32x4.extract_lane 2 (local.get $dist)))
                (if (i32.lt_s (local.get $d) (local.get $best))
                  (then (local.set $second (local.get $best)) (local.set $best (local.get $d))
                        (local.set $bestJ (i32.add (local.get $j) (i32.const 2))))
                  (else (if (i32.lt_s (local.get $d) (local.get $second)) (then (local.set $second (local.get $d))))))))
            (if (i32.lt_s (i32.add (local.get $j) (i32.const 3)) (local.get $count))
              (then
                (local.set $d (i32x4.extract_lane 3 (local.get $dist)))
                (if (i32.lt_s (local.get $d) (local.get $best))
                  (then (local.set $second (local.get $best)) (local.set $best (local.get $d))
                        (local.set $bestJ (i32.add (local.get $j) (i32.const 3))))
                  (else (if (i32.lt_s (local.get $d) (local.get $second)) (then (local.set $second (local.get $d))))))))))
        (local.set $b (i32.add (local.get $b) (i32.const 128)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next)))
    (i32.or (local.get $best)
      (i32.or (i32.shl (local.get $second) (i32.const 9)) (i32.shl (local.get $bestJ) (i32.const 18))))))
