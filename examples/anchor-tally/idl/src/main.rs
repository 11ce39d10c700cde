//! `anchor-idl-print PROGRAM_DIR`: the IDL of the Anchor program crate in `PROGRAM_DIR`, as JSON on
//! stdout (what `anchor build` writes to `target/idl/<name>.json`). The `cargo` on `PATH` builds it.

use std::{env, path::PathBuf, process::ExitCode};

use anchor_lang_idl::build::IdlBuilder;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let [program_dir] = args.as_slice() else {
        eprintln!("usage: anchor-idl-print PROGRAM_DIR");
        return ExitCode::from(2);
    };
    match IdlBuilder::new()
        .program_path(PathBuf::from(program_dir))
        .build()
    {
        Ok(idl) => match serde_json::to_string_pretty(&idl) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("anchor-idl-print: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("anchor-idl-print: {program_dir}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
