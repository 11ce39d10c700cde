//! A counter that also pays: instruction `[0, n: u64 le]` adds `n` to the counter stored in the first
//! eight bytes of the `counter` account (owned by this program) and logs the new value; instruction
//! `[1, lamports: u64 le]` moves `lamports` from `from` (a signer) to `to` with a System Program
//! transfer by CPI. Anything else, a counter overflow or a foreign counter account fails with a
//! custom error.
use solana_program::{
    account_info::{next_account_info, AccountInfo},
    entrypoint,
    entrypoint::ProgramResult,
    msg,
    program::invoke,
    program_error::ProgramError,
    pubkey::Pubkey,
    system_instruction,
};

/// The custom error codes the program returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterError {
    BadInstruction = 1,
    Overflow = 2,
    NotOwned = 3,
}

impl From<CounterError> for ProgramError {
    fn from(e: CounterError) -> Self {
        ProgramError::Custom(e as u32)
    }
}

entrypoint!(process_instruction);

fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    let (tag, amount) = match data {
        [tag, rest @ ..] if rest.len() == 8 => (*tag, u64::from_le_bytes(rest.try_into().unwrap())),
        _ => return Err(CounterError::BadInstruction.into()),
    };
    let accounts = &mut accounts.iter();
    match tag {
        0 => add(program_id, next_account_info(accounts)?, amount),
        1 => {
            let from = next_account_info(accounts)?;
            let to = next_account_info(accounts)?;
            let system = next_account_info(accounts)?;
            msg!("transfer {} lamports to {}", amount, to.key);
            invoke(
                &system_instruction::transfer(from.key, to.key, amount),
                &[from.clone(), to.clone(), system.clone()],
            )
        }
        _ => Err(CounterError::BadInstruction.into()),
    }
}

fn add(program_id: &Pubkey, counter: &AccountInfo, amount: u64) -> ProgramResult {
    if counter.owner != program_id {
        return Err(CounterError::NotOwned.into());
    }
    let mut data = counter.try_borrow_mut_data()?;
    let cell: &mut [u8; 8] = data
        .get_mut(..8)
        .and_then(|s| s.try_into().ok())
        .ok_or(ProgramError::AccountDataTooSmall)?;
    let value = u64::from_le_bytes(*cell)
        .checked_add(amount)
        .ok_or(CounterError::Overflow)?;
    *cell = value.to_le_bytes();
    msg!("counter = {}", value);
    Ok(())
}
