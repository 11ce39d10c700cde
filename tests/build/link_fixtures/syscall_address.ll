; Taking a syscall's address (e.g. to call it through a fn pointer): syscalls have no address in SBPFv0.
target triple = "bpfel"

declare void @sol_log_(ptr, i64)

define internal void @_RNvCskqUzHPI63Bf_7program8register(ptr %slot) noinline {
  store ptr @sol_log_, ptr %slot, align 8
  ret void
}

define i64 @entrypoint(ptr %input) {
  call void @_RNvCskqUzHPI63Bf_7program8register(ptr %input)
  ret i64 0
}
