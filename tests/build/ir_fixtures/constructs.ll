; Hand-written input for test_ir_reader: every multi-line form LLVM 22 prints, metadata attachments
; on them, debug records, quoted and numbered names, unreachable blocks, use-list orders. The test
; prints it back with llvm-as | llvm-dis, so that the reader sees what LLVM itself prints.
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpfel"

%"pair \22q\22" = type { i64, i64 }
$kept = comdat any

module asm ".globl marker"

@pair = internal global %"pair \22q\22" zeroinitializer, comdat($kept)
@table = internal constant [2 x ptr] [ptr blockaddress(@jumps, %one), ptr blockaddress(@jumps, %two)]
@"odd name" = internal global i64 0, align 8, !dbg !20

declare i32 @personality(...)
declare void @may_throw(i64)
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1 immarg)

define i64 @"quoted \22fn\22"(i64 %x, ptr %p) personality ptr @personality !dbg !10 {
entry:
  %c = icmp ult i64 %x, 10, !dbg !14
    #dbg_value(i64 %x, !13, !DIExpression(), !14)
    #dbg_declare(ptr %p, !13, !DIExpression(), !14)
    #dbg_label(!24, !14)
  br i1 %c, label %"small one", label %big, !prof !5

"small one":
  switch i64 %x, label %other [
    i64 0, label %zero
    i64 1, label %call
  ], !prof !6, !annotation !7

zero:
  %v = load i64, ptr %p, align 8, !range !8, !noundef !9
  ret i64 %v

call:
  invoke void @may_throw(i64 %x) #0
          to label %ok unwind label %pad, !prof !5

ok:
  call void @llvm.memcpy.p0.p0.i64(ptr align 8 %p, ptr align 8 @"odd name", i64 %x, i1 false), !annotation !7
  ret i64 1

pad:
  %lp = landingpad { ptr, i32 }
          cleanup
          catch ptr null
          filter [1 x ptr] [ptr @table], !annotation !7
  resume { ptr, i32 } %lp

other:
  %w = phi i64 [ %x, %"small one" ], [ 7, %big ]
  ret i64 %w

big:
  br label %other

dead:
  %d = add i64 %x, 1
  br label %dead2

dead2:
  ret i64 %d
}

define i64 @jumps(i64 %i) {
  %slot = getelementptr inbounds [2 x ptr], ptr @table, i64 0, i64 %i
  %target = load ptr, ptr %slot, align 8
  indirectbr ptr %target, [label %one, label %two]

one:
  ret i64 1

two:
  ret i64 2
}

define i32 @asm_goto(i32 %x) {
  callbr void asm "", "r,!i"(i32 %x)
          to label %fallthrough [label %indirect], !srcloc !9

fallthrough:
  ret i32 0

indirect:
  ret i32 1
}

define void @funclets() personality ptr @personality {
  invoke void @may_throw(i64 1)
          to label %done unwind label %dispatch

dispatch:
  %cs = catchswitch within none [label %handler] unwind to caller

handler:
  %cp = catchpad within %cs [ptr null, i32 64, ptr null]
  catchret from %cp to label %done

done:
  ret void
}

attributes #0 = { nounwind }

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3}

!0 = distinct !DICompileUnit(language: DW_LANG_Rust, file: !1, producer: "test", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug, globals: !2)
!1 = !DIFile(filename: "constructs.rs", directory: "/")
!2 = !{!21}
!3 = !{i32 2, !"Debug Info Version", i32 3}
!5 = !{!"branch_weights", i32 1, i32 2000}
!6 = !{!"branch_weights", i32 2000, i32 1, i32 1}
!7 = !{!"a note"}
!8 = !{i64 0, i64 100}
!9 = !{}
!10 = distinct !DISubprogram(name: "quoted", scope: !1, file: !1, line: 1, type: !11, unit: !0, retainedNodes: !12, spFlags: DISPFlagDefinition)
!11 = !DISubroutineType(types: !9)
!12 = !{!13}
!13 = !DILocalVariable(name: "x", scope: !10, file: !1, line: 1)
!14 = !DILocation(line: 1, scope: !10)
!20 = !DIGlobalVariableExpression(var: !22, expr: !DIExpression())
!21 = !DIGlobalVariableExpression(var: !22, expr: !DIExpression())
!22 = distinct !DIGlobalVariable(name: "odd", scope: !0, file: !1, line: 2, type: !23, isLocal: true, isDefinition: true)
!24 = !DILabel(scope: !10, name: "start", file: !1, line: 1)
!23 = !DIBasicType(name: "u64", size: 64, encoding: DW_ATE_unsigned)

define i64 @reordered(i64 %x) {
  %a = add i64 %x, 1
  %b = mul i64 %x, 3
  %c = add i64 %a, %b
  ret i64 %c

; uselistorder directives
  uselistorder i64 %x, { 1, 0 }
}
