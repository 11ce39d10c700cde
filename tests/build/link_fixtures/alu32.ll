; 32-bit arithmetic: with llc -mattr=+alu32 (or -mcpu=v3) it becomes ALU32 instructions, whose results
; SBPFv0 sign-extends where eBPF zero-extends.
target triple = "bpfel"

define internal i32 @_RNvCskqUzHPI63Bf_7program7add_u32(i32 %a, i32 %b) noinline {
  %sum = add i32 %a, %b
  ret i32 %sum
}

define i64 @entrypoint(ptr %input) {
  %a = load i32, ptr %input, align 4
  %sum = call i32 @_RNvCskqUzHPI63Bf_7program7add_u32(i32 %a, i32 7)
  %wide = zext i32 %sum to i64
  ret i64 %wide
}
