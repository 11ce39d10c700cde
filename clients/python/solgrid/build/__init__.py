"""The offline SBF build pipeline: Rust (upstream bpfel target) -> LLVM IR rewrites -> llc -> SBPFv0 ELF."""
