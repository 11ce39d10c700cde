//! Anchor's error log line, so that Anchor clients name SolGrid's errors.
//!
//! An Anchor program that fails with one of its errors logs, before returning the code,
//!
//! ```text
//! Program log: AnchorError occurred. Error Code: <Name>. Error Number: <n>. Error Message: <msg>.
//! ```
//!
//! Anchor's TypeScript client (`AnchorError.parse`, `translateError`) and anchorpy
//! (`AnchorError.parse` / `from_tx_error`) read that line from the transaction's logs to give the
//! error its IDL name; without it they see only `custom program error: 0x1778`. The codes of different
//! programs overlap (6108 is the registry's `NotRegulator` and energy_token's `ZeroAmount`), so the
//! clients also take the failing program from the `Program <id> invoke` / `failed` lines around it:
//! the line must be logged by the program that raised the error, under its own invoke.
//!
//! [`entrypoint!`](crate::entrypoint!) wraps a program's `process_instruction`: when it returns
//! `ProgramError::Custom(code)` and `code` is a [`KitError`] or one of the program's own errors (the
//! program's `describe` function), the wrapper logs the line with [`log_error`]. Only the failure
//! path pays: the success path is the one branch the entrypoint already took on the result, and the
//! formatting lives in a cold, never-inlined function. Other errors (the runtime's built-in ones,
//! codes no IDL of this program lists) are not logged, as Anchor logs nothing for them either.
//!
//! **Errors of a failed CPI.** A program must not log a line for a code it did not raise: when
//! energy_token's CPI into the registry fails with the registry's 6108 (`NotRegulator`), an
//! energy_token line would call it `ZeroAmount`. No tracking is needed for that, because the runtime
//! never returns a failed CPI's error to the caller: `sol_invoke_signed` ends the caller's execution
//! with the callee's error (the caller's remaining code, its entrypoint wrapper included, does not
//! run; the log shows the callee's line under the callee's invoke, then `Program <callee> failed`
//! and `Program <caller> failed` with the same code). So every `Custom` code that reaches the
//! wrapper was produced by the program's own code, and the tests pin it (the energy_token → registry
//! case logs exactly one line, the registry's, under the registry's invoke). What pinocchio's `invoke`
//! itself returns before making the syscall (an account already borrowed) is a built-in
//! `ProgramError`, never `Custom`, so it gets no line either. A program that maps a
//! value it got from a CPI (return data) to an error does so with its own error
//! (energy_token's `InvalidSettlementReturn`), which it then rightly names.
//!
//! The `AnchorError thrown in <file>:<line>.` and `AnchorError caused by account: <name>.` variants
//! are not produced: the programs' checks return bare codes that do not carry the account or the
//! source location, and carrying them would cost every success path.

use pinocchio::{error::ProgramError, ProgramResult};

use crate::KitError;

/// A program's own errors: `(name, message)` of a code the program's IDL lists after the kit errors,
/// `None` for any other code.
pub type Describe = fn(u32) -> Option<(&'static str, &'static str)>;

/// Room for the longest line (a name and a message of the IDLs, about 300 bytes at most); a longer
/// one is cut at this length, which the host tests rule out for every error of every program.
pub const LINE_CAPACITY: usize = 512;

const PREFIX: &[u8] = b"AnchorError occurred. Error Code: ";
const NUMBER: &[u8] = b". Error Number: ";
const MESSAGE: &[u8] = b". Error Message: ";

impl KitError {
    /// The kit error with this code, if any.
    pub const fn from_code(code: u32) -> Option<KitError> {
        let first = KitError::ALL[0].code();
        if code < first {
            return None;
        }
        let index = (code - first) as usize;
        if index < KitError::ALL.len() {
            Some(KitError::ALL[index])
        } else {
            None
        }
    }
}

/// `(name, message)` of each kit error, in code order, built at compile time (read-only data rather
/// than the code of two `match`es in every program).
const KIT_TABLE: [(&str, &str); KitError::ALL.len()] = {
    let mut table = [("", ""); KitError::ALL.len()];
    let mut i = 0;
    while i < table.len() {
        table[i] = (KitError::ALL[i].name(), KitError::ALL[i].message());
        i += 1;
    }
    table
};

/// `(name, message)` of a code: a kit error's, else the program's own (`describe`).
pub fn describe(code: u32, own: Describe) -> Option<(&'static str, &'static str)> {
    match code.checked_sub(KitError::ALL[0].code()) {
        Some(index) if (index as usize) < KIT_TABLE.len() => Some(KIT_TABLE[index as usize]),
        _ => own(code),
    }
}

/// The text of Anchor's error line (what `sol_log` is given; the runtime prefixes `Program log: `).
pub struct Line {
    bytes: [u8; LINE_CAPACITY],
    len: usize,
}

impl Line {
    /// `AnchorError occurred. Error Code: <name>. Error Number: <code>. Error Message: <message>.`
    pub fn new(name: &str, code: u32, message: &str) -> Self {
        let mut line = Line {
            bytes: [0; LINE_CAPACITY],
            len: 0,
        };
        line.push(PREFIX);
        line.push(name.as_bytes());
        line.push(NUMBER);
        line.push_decimal(code);
        line.push(MESSAGE);
        line.push(message.as_bytes());
        line.push(b".");
        line
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Whether the whole line fitted (false: it was cut at [`LINE_CAPACITY`]).
    pub fn is_complete(&self) -> bool {
        self.len < LINE_CAPACITY
    }

    fn push(&mut self, text: &[u8]) {
        let room = LINE_CAPACITY - self.len;
        let take = if text.len() < room { text.len() } else { room };
        self.bytes[self.len..self.len + take].copy_from_slice(&text[..take]);
        self.len += take;
    }

    fn push_decimal(&mut self, mut value: u32) {
        let mut digits = [0u8; 10];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        self.push(&digits[start..]);
    }
}

/// Logs Anchor's line for `error` if it is a kit error or one of the program's own (`own`).
#[cold]
#[inline(never)]
pub fn log_error(error: &ProgramError, own: Describe) {
    if let ProgramError::Custom(code) = *error {
        if let Some((name, message)) = describe(code, own) {
            log(Line::new(name, code, message).as_bytes());
        }
    }
}

/// The entrypoint wrapper's step: `result` unchanged, Anchor's line logged when it is an error.
#[inline(always)]
pub fn report(result: ProgramResult, own: Describe) -> ProgramResult {
    if let Err(error) = &result {
        log_error(error, own);
    }
    result
}

/// `sol_log` of `text` (a `Program log: <text>` line).
#[inline(always)]
fn log(text: &[u8]) {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    // SAFETY: the syscall reads `text.len()` bytes from `text`'s pointer.
    unsafe {
        pinocchio::syscalls::sol_log_(text.as_ptr(), text.len() as u64);
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    core::hint::black_box(text);
}

/// The program entrypoint (pinocchio's `program_entrypoint!`) around `process_instruction`, with
/// Anchor's error line on the failure path (see the module docs).
///
/// `entrypoint!(crate::process_instruction, MAX_ACCOUNTS, crate::describe_error)`, where
/// `describe_error: fn(u32) -> Option<(&'static str, &'static str)>` names the program's own codes.
#[macro_export]
macro_rules! entrypoint {
    ($process_instruction:path, $max_accounts:expr, $describe:path) => {
        fn __solgrid_process_and_report(
            program_id: &$crate::__Address,
            accounts: &mut [$crate::__AccountView],
            data: &[u8],
        ) -> $crate::__ProgramResult {
            $crate::anchor_error::report(
                $process_instruction(program_id, accounts, data),
                $describe,
            )
        }
        $crate::__pinocchio::program_entrypoint!(__solgrid_process_and_report, { $max_accounts });
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn own(code: u32) -> Option<(&'static str, &'static str)> {
        (code == 6108).then_some(("ZeroAmount", "The amount must be greater than zero"))
    }

    fn text(line: &Line) -> String {
        String::from_utf8(line.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn formats_anchors_line() {
        let line = Line::new("ZeroAmount", 6108, "The amount must be greater than zero");
        assert_eq!(
            text(&line),
            "AnchorError occurred. Error Code: ZeroAmount. Error Number: 6108. \
             Error Message: The amount must be greater than zero."
        );
        assert!(line.is_complete());
    }

    #[test]
    fn formats_every_number_width() {
        for (code, digits) in [
            (0u32, "0"),
            (7, "7"),
            (6000, "6000"),
            (u32::MAX, "4294967295"),
        ] {
            let line = Line::new("N", code, "m");
            assert!(text(&line).contains(&std::format!("Error Number: {digits}. ")));
        }
    }

    #[test]
    fn cuts_an_overlong_line_at_capacity() {
        let long = "x".repeat(LINE_CAPACITY);
        let line = Line::new("N", 1, &long);
        assert_eq!(line.as_bytes().len(), LINE_CAPACITY);
        assert!(!line.is_complete());
    }

    #[test]
    fn kit_codes_first_then_the_programs_own() {
        for error in KitError::ALL {
            assert_eq!(KitError::from_code(error.code()), Some(error));
            assert_eq!(
                describe(error.code(), own),
                Some((error.name(), error.message()))
            );
        }
        assert_eq!(KitError::from_code(5999), None);
        assert_eq!(KitError::from_code(6000 + KitError::ALL.len() as u32), None);
        assert_eq!(
            describe(6108, own).map(|(name, _)| name),
            Some("ZeroAmount")
        );
        assert_eq!(describe(6109, own), None);
        assert_eq!(describe(1, own), None);
    }

    #[test]
    fn every_kit_line_fits() {
        for error in KitError::ALL {
            assert!(Line::new(error.name(), error.code(), error.message()).is_complete());
        }
    }

    #[test]
    fn report_passes_the_result_through() {
        assert_eq!(report(Ok(()), own), Ok(()));
        assert_eq!(
            report(Err(ProgramError::Custom(6108)), own),
            Err(ProgramError::Custom(6108))
        );
        assert_eq!(
            report(Err(ProgramError::InvalidArgument), own),
            Err(ProgramError::InvalidArgument)
        );
    }
}
