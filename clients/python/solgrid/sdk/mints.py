"""Instructions that create an SPL Token mint and mint to a wallet's associated token account.

SolGrid's own tooling uses them for the quote mints of markets on test clusters (a test stablecoin) and
tests use them for any mint they need; production markets quote an existing stablecoin.
"""

from __future__ import annotations

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    InitializeMintParams,
    MintToParams,
    create_idempotent_associated_token_account,
    get_associated_token_address,
    initialize_mint,
    mint_to,
)

MINT_LEN = 82
"""Size of an SPL Token mint account."""


def create_mint_instructions(
    payer: Pubkey, mint: Keypair, decimals: int, mint_authority: Pubkey, lamports: int
) -> list[Instruction]:
    """Create ``mint`` (it signs) with ``lamports`` (its rent-exempt minimum: ``getMinimumBalanceForRent
    Exemption(82)``) and initialise it with ``decimals`` and ``mint_authority``, no freeze authority."""
    return [
        create_account(
            CreateAccountParams(
                from_pubkey=payer,
                to_pubkey=mint.pubkey(),
                lamports=lamports,
                space=MINT_LEN,
                owner=TOKEN_PROGRAM_ID,
            )
        ),
        initialize_mint(
            InitializeMintParams(
                decimals=decimals,
                program_id=TOKEN_PROGRAM_ID,
                mint=mint.pubkey(),
                mint_authority=mint_authority,
            )
        ),
    ]


def mint_to_owner_instructions(
    payer: Pubkey, mint: Pubkey, owner: Pubkey, mint_authority: Pubkey, amount: int
) -> list[Instruction]:
    """Create ``owner``'s associated token account of ``mint`` if needed (``payer`` funds it) and mint
    ``amount`` atoms to it (none when ``amount`` is 0); ``mint_authority`` signs."""
    ixs = [create_idempotent_associated_token_account(payer, owner, mint)]
    if amount:
        dest = get_associated_token_address(owner, mint)
        ixs.append(
            mint_to(
                MintToParams(
                    program_id=TOKEN_PROGRAM_ID,
                    mint=mint,
                    dest=dest,
                    mint_authority=mint_authority,
                    amount=amount,
                )
            )
        )
    return ixs
