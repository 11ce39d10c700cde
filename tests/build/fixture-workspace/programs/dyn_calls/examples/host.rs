//! The same computation on the host: reads one batch of cases on stdin, writes the results the program
//! returns for it on stdout (tests/build/test_pipeline_dyn_calls.py compares the two).
use std::io::{Read, Write};

fn main() {
    let mut data = Vec::new();
    std::io::stdin().read_to_end(&mut data).expect("stdin");
    let mut out = [0u8; dyn_calls::MAX_RESULTS];
    let n = dyn_calls::run(&data, &mut out).expect("a batch of whole cases");
    std::io::stdout().write_all(&out[..n]).expect("stdout");
}
