; A call to an undefined function that is not a Solana syscall (a typo, or a missing runtime helper).
target triple = "bpfel"

declare void @sol_log_(ptr, i64)
declare i64 @sol_not_a_real_syscall(i64)

define internal i64 @_RNvCskqUzHPI63Bf_7program7process(ptr %input) noinline {
  call void @sol_log_(ptr %input, i64 4)
  %r = call i64 @sol_not_a_real_syscall(i64 1)
  ret i64 %r
}

define i64 @entrypoint(ptr %input) {
  %r = call i64 @_RNvCskqUzHPI63Bf_7program7process(ptr %input)
  ret i64 %r
}
