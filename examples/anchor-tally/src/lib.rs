//! A tally per authority: a PDA that only its authority may add to, up to a limit it sets.
//!
//! Small, but it uses what Anchor programs are made of: `init` of a PDA (`seeds`/`bump`, a System
//! Program CPI and rent), `has_one` and `constraint =` checks, `#[error_code]` custom errors,
//! `#[event]`s logged with `emit!` and with `emit_cpi!` (a self-CPI signed by the event authority PDA).
//! SolGrid builds it offline (`solgrid build --manifest-path examples/anchor-tally/Cargo.toml`).

use anchor_lang::prelude::*;

declare_id!("6kLmHEzibh7AvKNQwPjNENfEczhh8G6nxHkKzsUJgr7v");

#[program]
pub mod anchor_tally {
    use super::*;

    /// Create the caller's tally, counting from zero, refusing additions over `limit` in total.
    pub fn initialize(ctx: Context<Initialize>, limit: u64) -> Result<()> {
        require!(limit > 0, TallyError::ZeroLimit);
        let tally = &mut ctx.accounts.tally;
        tally.authority = ctx.accounts.authority.key();
        tally.limit = limit;
        tally.count = 0;
        tally.bump = ctx.bumps.tally;
        emit!(TallyOpened {
            tally: tally.key(),
            authority: tally.authority,
            limit,
        });
        Ok(())
    }

    /// Add `amount` to the tally; logs the new count with `emit!`.
    pub fn add(ctx: Context<Add>, amount: u64) -> Result<()> {
        let count = add_to(&mut ctx.accounts.tally, amount)?;
        emit!(Added {
            tally: ctx.accounts.tally.key(),
            amount,
            count,
        });
        Ok(())
    }

    /// Add `amount` to the tally; records the new count with `emit_cpi!` (in the transaction's inner
    /// instructions rather than its logs).
    pub fn add_recorded(ctx: Context<AddRecorded>, amount: u64) -> Result<()> {
        let count = add_to(&mut ctx.accounts.tally, amount)?;
        emit_cpi!(Added {
            tally: ctx.accounts.tally.key(),
            amount,
            count,
        });
        Ok(())
    }
}

fn add_to(tally: &mut Tally, amount: u64) -> Result<u64> {
    require!(amount > 0, TallyError::ZeroAmount);
    let count = tally
        .count
        .checked_add(amount)
        .filter(|count| *count <= tally.limit)
        .ok_or(error!(TallyError::OverLimit))?;
    tally.count = count;
    Ok(count)
}

#[account]
#[derive(InitSpace)]
pub struct Tally {
    pub authority: Pubkey,
    pub limit: u64,
    pub count: u64,
    pub bump: u8,
}

#[derive(Accounts)]
pub struct Initialize<'info> {
    #[account(
        init,
        payer = authority,
        space = 8 + Tally::INIT_SPACE,
        seeds = [b"tally", authority.key().as_ref()],
        bump,
    )]
    pub tally: Account<'info, Tally>,
    #[account(mut)]
    pub authority: Signer<'info>,
    pub system_program: Program<'info, System>,
}

#[derive(Accounts)]
pub struct Add<'info> {
    #[account(
        mut,
        has_one = authority,
        constraint = tally.count < tally.limit @ TallyError::Full,
    )]
    pub tally: Account<'info, Tally>,
    pub authority: Signer<'info>,
}

#[event_cpi]
#[derive(Accounts)]
pub struct AddRecorded<'info> {
    #[account(
        mut,
        has_one = authority,
        seeds = [b"tally", authority.key().as_ref()],
        bump = tally.bump,
        constraint = tally.count < tally.limit,
    )]
    pub tally: Account<'info, Tally>,
    pub authority: Signer<'info>,
}

#[event]
pub struct TallyOpened {
    pub tally: Pubkey,
    pub authority: Pubkey,
    pub limit: u64,
}

#[event]
pub struct Added {
    pub tally: Pubkey,
    pub amount: u64,
    pub count: u64,
}

#[error_code]
pub enum TallyError {
    #[msg("The limit must be positive")]
    ZeroLimit,
    #[msg("The amount must be positive")]
    ZeroAmount,
    #[msg("The tally would pass its limit")]
    OverLimit,
    #[msg("The tally has reached its limit")]
    Full,
}
