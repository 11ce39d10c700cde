; A `static mut COUNTER: u64 = 7` (initialised, so in .data): SBPFv0 has no writable static data.
target triple = "bpfel"

@_RNvCskqUzHPI63Bf_7program7COUNTER = internal global i64 7, align 8

define i64 @entrypoint(ptr %input) {
  %old = load i64, ptr @_RNvCskqUzHPI63Bf_7program7COUNTER, align 8
  %new = add i64 %old, 1
  store i64 %new, ptr @_RNvCskqUzHPI63Bf_7program7COUNTER, align 8
  ret i64 %new
}
