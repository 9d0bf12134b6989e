;; The common case of the ingest scanner (csv-scan.ts) in WebAssembly: records that are one physical line,
;; have the header's number of fields and hold no NUL, no lone CR and no quote other than a well-formed
;; quoted field. Each such record is copied to the output followed by its lineage (prefix, line number,
;; suffix), exactly as the JavaScript scanner writes it. Anything else ends a call with status 1 ("bail"):
;; the JavaScript scanner, which knows every rule and every reason for a reject, takes that one record.
;;
;; Sixteen bytes at a time are compared with LF, quote, CR and NUL; a block without them only has its
;; commas counted. Copies go sixteen bytes at a time too. Assembled by `npm run build-kernel` into csv-kernel-wasm.ts (wabt); a test checks that
;; the committed bytes are this source's.
(module
  (memory (export "memory") 1)

  ;; the line number's decimal digits, right-aligned, end here; they start at $digits
  (global $DIGITS_END i32 (i32.const 32))
  (global $digits (mut i32) (i32.const 32))
  (global $fields (mut i32) (i32.const 0))
  (global $prefix (mut i32) (i32.const 0))
  (global $prefixLen (mut i32) (i32.const 0))
  (global $suffix (mut i32) (i32.const 0))
  (global $suffixLen (mut i32) (i32.const 0))
  ;; what the last call of scan did
  (global $stop (mut i32) (i32.const 0))
  (global $out (mut i32) (i32.const 0))
  (global $lines (mut i32) (i32.const 0))
  (global $rows (mut i32) (i32.const 0))

  (func (export "stop") (result i32) (global.get $stop))
  (func (export "out") (result i32) (global.get $out))
  (func (export "lines") (result i32) (global.get $lines))
  (func (export "rows") (result i32) (global.get $rows))

  ;; the record shape and the lineage bytes (already in memory) of the next calls
  (func (export "configure") (param $fields i32) (param $prefix i32) (param $prefixLen i32) (param $suffix i32) (param $suffixLen i32)
    (global.set $fields (local.get $fields))
    (global.set $prefix (local.get $prefix))
    (global.set $prefixLen (local.get $prefixLen))
    (global.set $suffix (local.get $suffix))
    (global.set $suffixLen (local.get $suffixLen)))

  ;; the physical line of the next record (below 2^53: exact as a double)
  (func $setLine (export "setLine") (param $line f64)
    (local $v i64) (local $i i32)
    (local.set $v (i64.trunc_f64_u (local.get $line)))
    (local.set $i (global.get $DIGITS_END))
    (loop $digit
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (local.get $i) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
    (global.set $digits (local.get $i)))

  ;; the next line: the digits counted up in place
  (func $nextLine
    (local $i i32)
    (local.set $i (i32.sub (global.get $DIGITS_END) (i32.const 1)))
    (block $done
      (loop $carry
        (br_if $done (i32.lt_u (local.get $i) (global.get $digits)))
        (br_if $done (i32.ne (i32.load8_u (local.get $i)) (i32.const 57)))
        (i32.store8 (local.get $i) (i32.const 48))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $carry)))
    (if (i32.ge_u (local.get $i) (global.get $digits))
      (then (i32.store8 (local.get $i) (i32.add (i32.load8_u (local.get $i)) (i32.const 1))))
      (else
        (global.set $digits (i32.sub (global.get $digits) (i32.const 1)))
        (i32.store8 (global.get $digits) (i32.const 49)))))

  ;; Copies $len bytes from $src to $dst sixteen at a time (memory.copy costs a call out per use, several
  ;; times a short record's copy); it may write up to 15 bytes past $dst + $len and read as far past
  ;; $src + $len. Returns $dst + $len.
  (func $copy (param $dst i32) (param $src i32) (param $len i32) (result i32)
    (local $i i32)
    (block $done
      (loop $block
        (br_if $done (i32.ge_s (local.get $i) (local.get $len)))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (v128.load (i32.add (local.get $src) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $block)))
    (i32.add (local.get $dst) (local.get $len)))

  ;; Scans the records of [$p, $end) and writes the good ones from $o, not past $outEnd. Returns 0 when
  ;; every complete record was written ($stop: where the incomplete rest starts, or $end), 1 when the
  ;; record at $stop is not one for this kernel, 2 when the output is full before the record at $stop.
  ;; With $final, the end of the input ends a record (that last record is always left to the caller).
  (func (export "scan") (param $p i32) (param $end i32) (param $o i32) (param $outEnd i32) (param $final i32) (result i32)
    (local $q i32) (local $r i32) (local $c i32) (local $k i32) (local $len i32) (local $next i32)
    (local $recEnd i32) (local $commas i32) (local $special i32) (local $comma i32) (local $v v128)
    (local $status i32)
    (global.set $lines (i32.const 0))
    (global.set $rows (i32.const 0))
    (block $exit
      (loop $record
        ;; everything read: the caller gets more input (or, with $final, there is nothing left)
        (if (i32.ge_u (local.get $p) (local.get $end))
          (then (local.set $status (i32.const 0)) (br $exit)))
        (local.set $q (local.get $p))
        (local.set $commas (i32.const 0))
        ;; find the record's end: its LF (CR LF), outside quotes
        (block $found
          (block $bail
            (block $incomplete
              (loop $scan
                (if (i32.le_u (i32.add (local.get $q) (i32.const 16)) (local.get $end))
                  (then
                    (local.set $v (v128.load (local.get $q)))
                    (local.set $special (i8x16.bitmask (v128.or
                      (v128.or (i8x16.eq (local.get $v) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))
                               (i8x16.eq (local.get $v) (v128.const i8x16 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34)))
                      (v128.or (i8x16.eq (local.get $v) (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13))
                               (i8x16.eq (local.get $v) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))))))
                    (local.set $comma (i8x16.bitmask
                      (i8x16.eq (local.get $v) (v128.const i8x16 44 44 44 44 44 44 44 44 44 44 44 44 44 44 44 44))))
                    (if (i32.eqz (local.get $special))
                      (then
                        (local.set $commas (i32.add (local.get $commas) (i32.popcnt (local.get $comma))))
                        (local.set $q (i32.add (local.get $q) (i32.const 16)))
                        (br $scan)))
                    (local.set $k (i32.ctz (local.get $special)))
                    (local.set $commas (i32.add (local.get $commas) (i32.popcnt
                      (i32.and (local.get $comma) (i32.sub (i32.shl (i32.const 1) (local.get $k)) (i32.const 1))))))
                    (local.set $q (i32.add (local.get $q) (local.get $k))))
                  (else
                    ;; the last bytes, one at a time
                    (block $special
                      (loop $tail
                        (br_if $incomplete (i32.ge_u (local.get $q) (local.get $end)))
                        (local.set $c (i32.load8_u (local.get $q)))
                        (br_if $special (i32.eq (local.get $c) (i32.const 10)))
                        (br_if $special (i32.eq (local.get $c) (i32.const 34)))
                        (br_if $special (i32.eq (local.get $c) (i32.const 13)))
                        (br_if $special (i32.eqz (local.get $c)))
                        (if (i32.eq (local.get $c) (i32.const 44))
                          (then (local.set $commas (i32.add (local.get $commas) (i32.const 1)))))
                        (local.set $q (i32.add (local.get $q) (i32.const 1)))
                        (br $tail)))))
                (local.set $c (i32.load8_u (local.get $q)))
                (if (i32.eq (local.get $c) (i32.const 10))
                  (then
                    (local.set $recEnd (local.get $q))
                    (local.set $next (i32.add (local.get $q) (i32.const 1)))
                    (br $found)))
                (if (i32.eq (local.get $c) (i32.const 13))
                  (then
                    (br_if $incomplete (i32.ge_u (i32.add (local.get $q) (i32.const 1)) (local.get $end)))
                    (br_if $bail (i32.ne (i32.load8_u (i32.add (local.get $q) (i32.const 1))) (i32.const 10)))
                    (local.set $recEnd (local.get $q))
                    (local.set $next (i32.add (local.get $q) (i32.const 2)))
                    (br $found)))
                (br_if $bail (i32.eqz (local.get $c)))
                ;; a quote: it opens a field, or the record is the caller's
                (if (i32.ne (local.get $q) (local.get $p))
                  (then (br_if $bail (i32.ne (i32.load8_u (i32.sub (local.get $q) (i32.const 1))) (i32.const 44)))))
                (local.set $r (i32.add (local.get $q) (i32.const 1)))
                (block $closed
                  (loop $quoted
                    (br_if $incomplete (i32.ge_u (local.get $r) (local.get $end)))
                    (local.set $c (i32.load8_u (local.get $r)))
                    ;; a line break inside quotes: a record of several lines is the caller's
                    (br_if $bail (i32.eq (local.get $c) (i32.const 10)))
                    (br_if $bail (i32.eqz (local.get $c)))
                    (if (i32.eq (local.get $c) (i32.const 34))
                      (then
                        (br_if $incomplete (i32.ge_u (i32.add (local.get $r) (i32.const 1)) (local.get $end)))
                        (br_if $closed (i32.ne (i32.load8_u (i32.add (local.get $r) (i32.const 1))) (i32.const 34)))
                        (local.set $r (i32.add (local.get $r) (i32.const 2)))
                        (br $quoted)))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $quoted)))
                ;; after the closing quote: a comma, or the end of the record
                (local.set $c (i32.load8_u (i32.add (local.get $r) (i32.const 1))))
                (br_if $bail (i32.eqz (i32.or (i32.or (i32.eq (local.get $c) (i32.const 44)) (i32.eq (local.get $c) (i32.const 10)))
                  (i32.eq (local.get $c) (i32.const 13)))))
                (local.set $q (i32.add (local.get $r) (i32.const 1)))
                (br $scan)))
            ;; the input ends inside the record: more input completes it; at the end of the file the
            ;; caller takes it
            (local.set $status (select (i32.const 1) (i32.const 0) (local.get $final)))
            (br $exit))
          (local.set $status (i32.const 1))
          (br $exit))
        ;; the record [$p, $recEnd), the next one from $next
        (local.set $len (i32.sub (local.get $recEnd) (local.get $p)))
        (if (i32.eqz (local.get $len))
          (then
            ;; a blank line is no record
            (call $nextLine)
            (global.set $lines (i32.add (global.get $lines) (i32.const 1)))
            (local.set $p (local.get $next))
            (br $record)))
        (if (i32.ne (i32.add (local.get $commas) (i32.const 1)) (global.get $fields))
          (then (local.set $status (i32.const 1)) (br $exit)))
        ;; room for the record, its lineage (at most 20 digits) and what a last block may write past them
        (if (i32.gt_u
              (i32.add (i32.add (local.get $o) (local.get $len))
                       (i32.add (i32.add (global.get $prefixLen) (global.get $suffixLen)) (i32.const 36)))
              (local.get $outEnd))
          (then (local.set $status (i32.const 2)) (br $exit)))
        (local.set $o (call $copy (local.get $o) (local.get $p) (local.get $len)))
        (local.set $o (call $copy (local.get $o) (global.get $prefix) (global.get $prefixLen)))
        (local.set $o (call $copy (local.get $o) (global.get $digits) (i32.sub (global.get $DIGITS_END) (global.get $digits))))
        (local.set $o (call $copy (local.get $o) (global.get $suffix) (global.get $suffixLen)))
        (call $nextLine)
        (global.set $lines (i32.add (global.get $lines) (i32.const 1)))
        (global.set $rows (i32.add (global.get $rows) (i32.const 1)))
        (local.set $p (local.get $next))
        (br $record)))
    (global.set $stop (local.get $p))
    (global.set $out (local.get $o))
    (local.get $status))
)
