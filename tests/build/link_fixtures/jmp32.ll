; A 32-bit comparison: with llc -mcpu=v3 it becomes a JMP32 instruction, which SBPFv0 does not have.
target triple = "bpfel"

define internal i64 @_RNvCskqUzHPI63Bf_7program9below_ten(ptr %p) noinline {
  %a = load i32, ptr %p, align 4
  %small = icmp ult i32 %a, 10
  %r = select i1 %small, i64 1, i64 2
  ret i64 %r
}

define i64 @entrypoint(ptr %input) {
  %r = call i64 @_RNvCskqUzHPI63Bf_7program9below_ten(ptr %input)
  ret i64 %r
}
