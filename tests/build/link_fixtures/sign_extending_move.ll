; i32 -> i64 sign extension of a register: llc -mcpu=v4 emits movsx (a mov with offset 32).
target triple = "bpfel"

define internal i64 @_RNvCskqUzHPI63Bf_7program5widen(i64 %a) noinline {
  %narrow = trunc i64 %a to i32
  %wide = sext i32 %narrow to i64
  ret i64 %wide
}

define i64 @entrypoint(ptr %input) {
  %a = load i64, ptr %input, align 8
  %r = call i64 @_RNvCskqUzHPI63Bf_7program5widen(i64 %a)
  ret i64 %r
}
