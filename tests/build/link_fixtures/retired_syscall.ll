; sol_alloc_free_ still exists for old programs, but new deployments may not call it.
target triple = "bpfel"

declare ptr @sol_alloc_free_(i64, ptr)

define internal i64 @_RNvCskqUzHPI63Bf_7program8allocate(i64 %size) noinline {
  %p = call ptr @sol_alloc_free_(i64 %size, ptr null)
  %r = ptrtoint ptr %p to i64
  ret i64 %r
}

define i64 @entrypoint(ptr %input) {
  %r = call i64 @_RNvCskqUzHPI63Bf_7program8allocate(i64 64)
  ret i64 %r
}
