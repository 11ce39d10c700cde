; A zero-initialised `static mut CACHE: [u64; 4]` (in .bss): SBPFv0 has no writable static data.
target triple = "bpfel"

@_RNvCskqUzHPI63Bf_7program5CACHE = internal global [4 x i64] zeroinitializer, align 8

define i64 @entrypoint(ptr %input) {
  %slot = getelementptr [4 x i64], ptr @_RNvCskqUzHPI63Bf_7program5CACHE, i64 0, i64 2
  %old = load i64, ptr %slot, align 8
  %new = add i64 %old, 1
  store i64 %new, ptr %slot, align 8
  ret i64 %new
}
