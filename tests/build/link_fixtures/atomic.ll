; An atomic read-modify-write (llc emits `lock *(u64 *)(r1 + 0) += r2`), which SBPFv0 does not have.
target triple = "bpfel"

define internal void @_RNvCskqUzHPI63Bf_7program12bump_counter(ptr %p) noinline {
  %old = atomicrmw add ptr %p, i64 1 monotonic
  ret void
}

define i64 @entrypoint(ptr %input) {
  call void @_RNvCskqUzHPI63Bf_7program12bump_counter(ptr %input)
  ret i64 0
}
