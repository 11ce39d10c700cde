; A sign-extending byte load: llc -mcpu=v4 emits ldxsb, which SBPFv0 does not have.
target triple = "bpfel"

define internal i64 @_RNvCskqUzHPI63Bf_7program11load_signed(ptr %p) noinline {
  %byte = load i8, ptr %p, align 1
  %wide = sext i8 %byte to i64
  ret i64 %wide
}

define i64 @entrypoint(ptr %input) {
  %r = call i64 @_RNvCskqUzHPI63Bf_7program11load_signed(ptr %input)
  ret i64 %r
}
