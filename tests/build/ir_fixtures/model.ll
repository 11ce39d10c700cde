; ModuleID = 'example'
source_filename = "example"
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpfel"

@msg = private unnamed_addr constant [9 x i8] c"a;b\22c\00d\0A", align 1
@"quoted global" = internal constant <{ ptr, [8 x i8] }> <{ ptr @msg, [8 x i8] c"\01\00\00\00\00\00\00\00" }>

; Function Attrs: nounwind
define internal fastcc noundef i64 @"weird name"(i128 noundef %a, ptr noalias noundef align 8 dereferenceable(16) %p) unnamed_addr #0 {
start:
  %x = trunc i128 %a to i64
; call example::callee
  %y = tail call noundef range(i64 0, 10) i64 @callee(i64 %x, ptr %p) #1, !noalias !2
  #dbg_value(i64 %y, !3, !DIExpression(), !4)
  br label %bb1

bb1:                                              ; preds = %start
  switch i64 %y, label %bb2 [
    i64 0, label %bb2
    i64 7, label %bb2
  ]

bb2:                                              ; preds = %bb1, %bb1, %bb1
  ret i64 %y
}

declare i64 @callee(i64, ptr) unnamed_addr

attributes #0 = { nounwind "target-cpu"="generic" }
!2 = !{!5}
