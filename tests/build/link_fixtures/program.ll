; The linker's main test program: every kind of reference the linker resolves, reachable from one entrypoint.
;
; Instruction data is [op: u8][arg: u64 LE]; the result (u64 LE) is returned with sol_set_return_data.
;   op 0  fib(arg)                      recursive calls inside .text (resolved by llc, pc-relative)
;   op 1  OPERATIONS[arg % 3](arg)      fn-pointer table in .data.rel.ro.operations (R_BPF_64_ABS64) + callx
;   op 2  log GREETING and NAMES[arg]   .rodata.str1.1 strings via lddw (R_BPF_64_64) and &str table pointers
;   op 3  cold_path(arg)                a function in .text.unlikely.cold_path (section-symbol call relocation)
;   op 4  <very long name>(arg)         internal function whose name exceeds every ELF name limit
;   op 5  llvm.trap                     __bpf_trap, linked to the abort syscall
;   op 6  PRIMES[arg % 8]               u64 table in .rodata (lddw + addend)
;   op 7  keep arg in this frame while scribble() fills its own frame; return arg
;         (SBPFv0 gives each call a fresh 4 KiB frame; with e_flags=1, SBPFv1, the frames would overlap)
;   op 8  (arg odd ? op_add : op_mul)(arg)  function addresses loaded with lddw (R_BPF_64_64 to .text) + callx
;   other ops: return error 1 without return data
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpfel"

@greeting = private unnamed_addr constant [20 x i8] c"hello from solgrid!\00", align 1
@alpha = private unnamed_addr constant [5 x i8] c"alpha", align 1
@omega = private unnamed_addr constant [5 x i8] c"omega", align 1
@names = internal constant [2 x { ptr, i64 }] [{ ptr, i64 } { ptr @alpha, i64 5 }, { ptr, i64 } { ptr @omega, i64 5 }], section ".data.rel.ro.names", align 8
@operations = internal constant [3 x ptr] [ptr @op_add, ptr @op_mul, ptr @op_xor], section ".data.rel.ro.operations", align 8
@primes = internal constant [8 x i64] [i64 2, i64 3, i64 5, i64 7, i64 11, i64 13, i64 17, i64 19], align 8

declare void @sol_log_(ptr, i64)
declare void @sol_log_64_(i64, i64, i64, i64, i64)
declare void @sol_set_return_data(ptr, i64)
declare void @llvm.trap()

define internal i64 @fib(i64 %n) noinline {
entry:
  %small = icmp ult i64 %n, 2
  br i1 %small, label %base, label %recurse
base:
  ret i64 %n
recurse:
  %n1 = sub i64 %n, 1
  %n2 = sub i64 %n, 2
  %f1 = call i64 @fib(i64 %n1)
  %f2 = call i64 @fib(i64 %n2)
  %sum = add i64 %f1, %f2
  ret i64 %sum
}

define internal i64 @op_add(i64 %x) noinline {
  %r = add i64 %x, 1000
  ret i64 %r
}

define internal i64 @op_mul(i64 %x) noinline {
  %r = mul i64 %x, 1000
  ret i64 %r
}

define internal i64 @op_xor(i64 %x) noinline {
  %r = xor i64 %x, 1000
  ret i64 %r
}

define internal i64 @cold_path(i64 %x) noinline cold section ".text.unlikely.cold_path" {
  %r = mul i64 %x, 7
  %s = add i64 %r, 3
  ret i64 %s
}

define internal i64 @a_function_whose_name_is_longer_than_every_name_limit_of_the_sbpf_loader_which_is_fine_because_it_is_internal(i64 %x) noinline {
  %r = shl i64 %x, 4
  ret i64 %r
}

define internal i64 @scribble(i64 %x) noinline {
  %buf = alloca [8 x i64], align 8
  %s0 = getelementptr [8 x i64], ptr %buf, i64 0, i64 0
  %s1 = getelementptr [8 x i64], ptr %buf, i64 0, i64 1
  %s2 = getelementptr [8 x i64], ptr %buf, i64 0, i64 2
  %s3 = getelementptr [8 x i64], ptr %buf, i64 0, i64 3
  %s4 = getelementptr [8 x i64], ptr %buf, i64 0, i64 4
  %s5 = getelementptr [8 x i64], ptr %buf, i64 0, i64 5
  %s6 = getelementptr [8 x i64], ptr %buf, i64 0, i64 6
  %s7 = getelementptr [8 x i64], ptr %buf, i64 0, i64 7
  store volatile i64 %x, ptr %s0, align 8
  store volatile i64 %x, ptr %s1, align 8
  store volatile i64 %x, ptr %s2, align 8
  store volatile i64 %x, ptr %s3, align 8
  store volatile i64 %x, ptr %s4, align 8
  store volatile i64 %x, ptr %s5, align 8
  store volatile i64 %x, ptr %s6, align 8
  store volatile i64 %x, ptr %s7, align 8
  %v = load volatile i64, ptr %s7, align 8
  ret i64 %v
}

define i64 @entrypoint(ptr %input) {
entry:
  %result = alloca i64, align 8
  %data = getelementptr i8, ptr %input, i64 16
  %op = load i8, ptr %data, align 1
  %arg.ptr = getelementptr i8, ptr %input, i64 17
  %arg = load i64, ptr %arg.ptr, align 1
  switch i8 %op, label %unknown [
    i8 0, label %do.fib
    i8 1, label %do.table
    i8 2, label %do.log
    i8 3, label %do.cold
    i8 4, label %do.long
    i8 5, label %do.trap
    i8 6, label %do.primes
    i8 7, label %do.frames
    i8 8, label %do.pick
  ]
do.fib:
  %fib = call i64 @fib(i64 %arg)
  br label %done
do.table:
  %index = urem i64 %arg, 3
  %slot = getelementptr [3 x ptr], ptr @operations, i64 0, i64 %index
  %fn = load ptr, ptr %slot, align 8
  %applied = call i64 %fn(i64 %arg)
  br label %done
do.log:
  call void @sol_log_(ptr @greeting, i64 19)
  %which = and i64 %arg, 1
  %name.ptr.slot = getelementptr [2 x { ptr, i64 }], ptr @names, i64 0, i64 %which, i32 0
  %name.len.slot = getelementptr [2 x { ptr, i64 }], ptr @names, i64 0, i64 %which, i32 1
  %name.ptr = load ptr, ptr %name.ptr.slot, align 8
  %name.len = load i64, ptr %name.len.slot, align 8
  call void @sol_log_(ptr %name.ptr, i64 %name.len)
  call void @sol_log_64_(i64 1, i64 2, i64 3, i64 4, i64 %arg)
  br label %done
do.cold:
  %cold = call i64 @cold_path(i64 %arg)
  br label %done
do.long:
  %long = call i64 @a_function_whose_name_is_longer_than_every_name_limit_of_the_sbpf_loader_which_is_fine_because_it_is_internal(i64 %arg)
  br label %done
do.trap:
  call void @llvm.trap()
  unreachable
do.primes:
  %prime.index = and i64 %arg, 7
  %prime.slot = getelementptr [8 x i64], ptr @primes, i64 0, i64 %prime.index
  %prime = load i64, ptr %prime.slot, align 8
  br label %done
do.frames:
  store volatile i64 %arg, ptr %result, align 8
  %scribbled = call i64 @scribble(i64 12345)
  %kept = load volatile i64, ptr %result, align 8
  br label %done
do.pick:
  %odd.bit = and i64 %arg, 1
  %odd = icmp ne i64 %odd.bit, 0
  %picked = select i1 %odd, ptr @op_add, ptr @op_mul
  %picked.result = call i64 %picked(i64 %arg)
  br label %done
done:
  %value = phi i64 [ %fib, %do.fib ], [ %applied, %do.table ], [ %name.len, %do.log ], [ %cold, %do.cold ], [ %long, %do.long ], [ %prime, %do.primes ], [ %kept, %do.frames ], [ %picked.result, %do.pick ]
  store i64 %value, ptr %result, align 8
  call void @sol_set_return_data(ptr %result, i64 8)
  ret i64 0
unknown:
  ret i64 1
}
