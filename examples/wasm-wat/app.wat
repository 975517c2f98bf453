;; A hand-written WebAssembly module (WebAssembly text format, built with wabt's wat2wasm): no WASI, no runtime.
;; index.js copies bytes into the exported memory, calls a function, and reads the result back.
(module
  (memory (export "memory") 1)

  ;; rot13(ptr, len): rotates the ASCII letters of memory[ptr, ptr + len) by 13 places, in place.
  (func (export "rot13") (param $ptr i32) (param $len i32)
    (local $end i32) (local $c i32) (local $base i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $ptr)))
        (local.set $base (i32.const 0))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 65)) (i32.le_u (local.get $c) (i32.const 90)))
          (then (local.set $base (i32.const 65))))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (then (local.set $base (i32.const 97))))
        (if (local.get $base)
          (then
            (i32.store8 (local.get $ptr)
              (i32.add (local.get $base)
                (i32.rem_u (i32.add (i32.sub (local.get $c) (local.get $base)) (i32.const 13)) (i32.const 26))))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $next))))

  ;; adler32(ptr, len): the Adler-32 checksum (RFC 1950) of memory[ptr, ptr + len).
  (func (export "adler32") (param $ptr i32) (param $len i32) (result i32)
    (local $a i32) (local $b i32) (local $end i32)
    (local.set $a (i32.const 1))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $a (i32.rem_u (i32.add (local.get $a) (i32.load8_u (local.get $ptr))) (i32.const 65521)))
        (local.set $b (i32.rem_u (i32.add (local.get $b) (local.get $a)) (i32.const 65521)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $next)))
    (i32.or (i32.shl (local.get $b) (i32.const 16)) (local.get $a)))
)
