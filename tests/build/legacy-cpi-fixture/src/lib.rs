//! Instruction data `lamports: u64 le`: a System Program transfer of `lamports` from the first account
//! (a signer) to the second, by `invoke`, passing every account the instruction carries as account
//! infos (the System Program among them). With more than 16, the legacy CPI shim refuses the call.
use solana_program::{
    account_info::AccountInfo, entrypoint, entrypoint::ProgramResult, msg, program::invoke,
    program_error::ProgramError, pubkey::Pubkey, system_instruction,
};

entrypoint!(process);

fn process(_program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let lamports = data
        .try_into()
        .map(u64::from_le_bytes)
        .map_err(|_| ProgramError::InvalidInstructionData)?;
    let [from, to, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    msg!("transfer {} lamports with {} account infos", lamports, accounts.len());
    invoke(&system_instruction::transfer(from.key, to.key, lamports), accounts)
}
