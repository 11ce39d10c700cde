; Signed division: llc -mcpu=v4 emits sdiv (a div with offset 1), which SBPFv0 would run as unsigned.
target triple = "bpfel"

define internal i64 @_RNvCskqUzHPI63Bf_7program10signed_div(i64 %a, i64 %b) noinline {
  %q = sdiv i64 %a, %b
  ret i64 %q
}

define i64 @entrypoint(ptr %input) {
  %a = load i64, ptr %input, align 8
  %q = call i64 @_RNvCskqUzHPI63Bf_7program10signed_div(i64 %a, i64 -3)
  ret i64 %q
}
