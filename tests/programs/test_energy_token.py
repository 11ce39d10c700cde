"""energy_token in LiteSVM: initialize, burn, and that GRID cannot be minted outside settlement.

Each test runs with both programs loaded by ``add_program`` and deployed through BPFLoaderUpgradeable.
Error codes are taken from the IDLs by name, so a test also fails if a program and its IDL disagree.
Settlement (``settle_and_mint``) is covered in ``test_energy_token_settle.py``.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

import pytest
from energy_token_harness import CONFIG_LEN, MODES, T0, TokenEnv, account_index, error_codes, new_env
from instruction_edits import with_account, with_data, with_meta
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import AuthorityType, MintToParams, SetAuthorityParams, mint_to, set_authority

from solgrid.localnet.tokens import MINT_LEN
from solgrid.sdk import loader
from solgrid.sdk.energy_token import DECIMALS, GridBurned, TokenInitialized

ERRORS = error_codes("energy_token")
# SPL Token's TokenError codes.
TOKEN_INSUFFICIENT_FUNDS = 1
TOKEN_OWNER_MISMATCH = 4
GRID = 10**DECIMALS


def code(name: str) -> int:
    return ERRORS[name]


@pytest.fixture(scope="session")
def energy_token_elf(elf_of: Callable[[str], bytes]) -> bytes:
    return elf_of("energy_token")


@pytest.fixture(params=MODES)
def token(request: pytest.FixtureRequest, registry_elf: bytes, energy_token_elf: bytes) -> TokenEnv:
    return new_env(request.param, registry_elf, energy_token_elf)


@pytest.fixture
def ready(token: TokenEnv) -> TokenEnv:
    """``token`` after ``initialize``."""
    token.initialize()
    return token


# -- initialize ----------------------------------------------------------------------------------------


def test_initialize_creates_config_and_grid_mint(token: TokenEnv) -> None:
    token.set_unix_time(T0)
    sent = token.initialize()
    client = token.client

    config_pda = client.config_pda()
    account = token.account(config_pda.address)
    assert account is not None and account.owner == token.program_id
    assert len(account.data) == 8 + 5 * 32 + 4 + 64
    assert account.lamports == token.svm.minimum_balance_for_rent_exemption(len(account.data))
    assert bytes(account.data)[-64:] == bytes(64)
    config = client.decode_config(bytes(account.data))
    assert config.authority == token.payer.pubkey()
    assert config.registry_program == token.registry_id
    assert (config.mint, config.bump) == (client.mint, config_pda.bump)
    assert config.mint_bump == client.mint_pda().bump
    assert (config.mint_authority, config.mint_authority_bump) == (
        client.mint_authority_pda().address,
        client.mint_authority_pda().bump,
    )
    assert (config.settlement_authority, config.settlement_bump) == (
        client.settlement_pda().address,
        client.settlement_pda().bump,
    )

    mint_account = token.account(client.mint)
    assert mint_account is not None and mint_account.owner == TOKEN_PROGRAM_ID
    assert len(mint_account.data) == MINT_LEN
    assert mint_account.lamports == token.svm.minimum_balance_for_rent_exemption(MINT_LEN)
    mint = token.mint()
    assert (mint.decimals, mint.supply, mint.is_initialized) == (9, 0, True)
    assert mint.mint_authority == client.mint_authority_pda().address
    assert mint.freeze_authority is None

    assert client.events(sent.logs) == [
        TokenInitialized(
            config=config_pda.address,
            authority=token.payer.pubkey(),
            registry_program=token.registry_id,
            mint=client.mint,
            mint_authority=client.mint_authority_pda().address,
            settlement_authority=client.settlement_pda().address,
            decimals=9,
            timestamp=T0,
        )
    ]


def test_initialize_with_a_separate_payer(token: TokenEnv) -> None:
    funder = token.wallet()
    ix = token.client.initialize(payer=funder.pubkey(), authority=token.payer.pubkey())
    before = token.svm.get_balance(funder.pubkey()) or 0
    token.send([ix], [funder])
    rent = token.svm.minimum_balance_for_rent_exemption
    assert before - (token.svm.get_balance(funder.pubkey()) or 0) == rent(CONFIG_LEN) + rent(MINT_LEN)


def test_initialize_succeeds_when_the_mint_address_was_prefunded(token: TokenEnv) -> None:
    # Anyone can send lamports to the mint PDA before initialisation; that must not block it. (The
    # least a cluster accepts for a new account is its rent-exempt minimum: InsufficientFundsForRent.)
    prefund = token.svm.minimum_balance_for_rent_exemption(0)
    token.send(
        [
            transfer(
                TransferParams(
                    from_pubkey=token.payer.pubkey(), to_pubkey=token.client.mint, lamports=prefund
                )
            )
        ]
    )
    token.initialize()
    assert token.mint().is_initialized
    mint_account = token.account(token.client.mint)
    assert mint_account is not None
    assert mint_account.lamports == token.svm.minimum_balance_for_rent_exemption(MINT_LEN)


def test_initialize_twice_fails(ready: TokenEnv) -> None:
    ix = ready.client.initialize(payer=ready.payer.pubkey(), authority=ready.payer.pubkey())
    assert ready.fail([ix]) == code("AlreadyInitialized")


def test_initialize_refuses_an_existing_mint_account(token: TokenEnv) -> None:
    token.put(token.client.mint, TOKEN_PROGRAM_ID, bytes(MINT_LEN))
    ix = token.client.initialize(payer=token.payer.pubkey(), authority=token.payer.pubkey())
    assert token.fail([ix]) == code("AlreadyInitialized")


def test_only_the_upgrade_authority_initialises_a_deployed_program(token: TokenEnv) -> None:
    other = token.wallet()
    ix = token.client.initialize(payer=token.payer.pubkey(), authority=other.pubkey())
    if token.mode == "deploy":
        assert token.fail([ix], [other]) == code("NotUpgradeAuthority")
    else:
        # Loaded without loader v3 there is no upgrade authority and no ProgramData: no gate.
        token.send([ix], [other])
        assert (
            token.client.decode_config(token.data(token.client.config_pda().address)).authority
            == other.pubkey()
        )


@pytest.mark.parametrize("token", ["deploy"], indirect=True)  # needs a BPFLoaderUpgradeable deployment
def test_a_frozen_program_cannot_be_initialised(token: TokenEnv) -> None:
    token.send([loader.set_upgrade_authority(token.program_id, token.payer.pubkey(), None)])
    ix = token.client.initialize(payer=token.payer.pubkey(), authority=token.payer.pubkey())
    assert token.fail([ix]) == code("NotUpgradeAuthority")


def test_initialize_requires_the_signatures(token: TokenEnv) -> None:
    funder = token.wallet()
    other = token.wallet()
    unsigned = token.client.initialize(payer=token.payer.pubkey(), authority=other.pubkey())
    assert token.fail([with_meta(unsigned, 1, signer=False)]) == code("MissingSigner")
    ix = token.client.initialize(payer=funder.pubkey(), authority=token.payer.pubkey())
    assert token.fail([with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    assert token.fail([with_meta(ix, 0, writable=False)], [funder]) == code("AccountNotWritable")


@pytest.mark.parametrize("account", ["config", "mint"])
def test_initialize_requires_writable_pdas(token: TokenEnv, account: str) -> None:
    ix = token.client.initialize(payer=token.payer.pubkey(), authority=token.payer.pubkey())
    assert token.fail([with_meta(ix, account_index("initialize", account), writable=False)]) == code(
        "AccountNotWritable"
    )


@pytest.mark.parametrize("account", ["config", "mint"])
def test_initialize_rejects_pdas_at_other_addresses(token: TokenEnv, account: str) -> None:
    ix = token.client.initialize(payer=token.payer.pubkey(), authority=token.payer.pubkey())
    # A PDA of the right program with other seeds, and the config/mint PDA swapped in.
    other_seed = Pubkey.find_program_address([b"other"], token.program_id)[0]
    swapped = token.client.mint if account == "config" else token.client.config_pda().address
    index = account_index("initialize", account)
    assert token.fail([with_account(ix, index, other_seed)]) == code("InvalidPda")
    assert token.fail([with_account(ix, index, swapped)]) == code("InvalidPda")


def test_initialize_rejects_substituted_programs(token: TokenEnv) -> None:
    ix = token.client.initialize(payer=token.payer.pubkey(), authority=token.payer.pubkey())
    fake = Keypair().pubkey()
    token_2022 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
    cases = [
        ("token_program", token_2022, "InvalidTokenProgram"),
        ("system_program", fake, "InvalidSystemProgram"),
        ("registry_program", fake, "InvalidRegistryProgram"),
        ("program_data", fake, "InvalidProgramData"),
        ("program", token.client.registry_program_id, "InvalidProgramData"),
    ]
    for account, address, error in cases:
        assert token.fail([with_account(ix, account_index("initialize", account), address)]) == code(error), (
            account
        )


def test_initialize_rejects_arguments_and_short_account_lists(token: TokenEnv) -> None:
    ix = token.client.initialize(payer=token.payer.pubkey(), authority=token.payer.pubkey())
    assert token.fail([with_data(ix, bytes(ix.data) + b"\x00")]) == code("InvalidInstructionData")
    short = Instruction(ix.program_id, ix.data, list(ix.accounts)[:8])
    assert token.fail([short]) == code("NotEnoughAccounts")


def test_unknown_instructions_are_refused(token: TokenEnv) -> None:
    ix = token.client.initialize(payer=token.payer.pubkey(), authority=token.payer.pubkey())
    unknown = hashlib.sha256(b"global:mint_to").digest()[:8]
    assert token.fail([with_data(ix, unknown)]) == code("UnknownInstruction")
    assert token.fail([with_data(ix, b"\x01\x02")]) == code("UnknownInstruction")


# -- nobody mints outside settlement -------------------------------------------------------------------


def test_the_mint_authority_is_a_pda_without_a_key(ready: TokenEnv) -> None:
    mint = ready.mint()
    assert mint.mint_authority == ready.client.mint_authority_pda().address
    # Off the curve: no private key exists, so only the program (invoke_signed) can sign for it.
    assert mint.mint_authority is not None and not mint.mint_authority.is_on_curve()
    assert mint.freeze_authority is None


def test_spl_mint_to_by_anyone_else_fails(ready: TokenEnv) -> None:
    thief = ready.wallet()
    destination = ready.grid_account(thief.pubkey())
    for authority in (thief, ready.payer):  # a random wallet, and the program's upgrade authority
        ix = mint_to(
            MintToParams(
                program_id=TOKEN_PROGRAM_ID,
                mint=ready.client.mint,
                dest=destination,
                mint_authority=authority.pubkey(),
                amount=GRID,
            )
        )
        assert ready.fail([ix], [authority]) == TOKEN_OWNER_MISMATCH
    assert ready.mint().supply == 0


def test_nobody_can_take_over_the_mint_authority(ready: TokenEnv) -> None:
    thief = ready.wallet()
    ix = set_authority(
        SetAuthorityParams(
            program_id=TOKEN_PROGRAM_ID,
            account=ready.client.mint,
            authority=AuthorityType.MINT_TOKENS,
            current_authority=thief.pubkey(),
            new_authority=thief.pubkey(),
        )
    )
    assert ready.fail([ix], [thief]) == TOKEN_OWNER_MISMATCH
    assert ready.mint().mint_authority == ready.client.mint_authority_pda().address


# -- burn ----------------------------------------------------------------------------------------------


def test_burn_removes_grid_and_emits_event(ready: TokenEnv) -> None:
    holder = ready.wallet()
    account = ready.give_grid(holder.pubkey(), 5 * GRID)
    sent = ready.burn(holder, 2 * GRID)
    assert ready.balance(account) == 3 * GRID
    assert ready.mint().supply == 3 * GRID
    assert ready.client.events(sent.logs) == [
        GridBurned(holder=holder.pubkey(), token_account=account, amount=2 * GRID)
    ]
    ready.burn(holder, 3 * GRID)
    assert (ready.balance(account), ready.mint().supply) == (0, 0)


def test_burn_from_a_non_associated_grid_account(ready: TokenEnv) -> None:
    # Any GRID account the holder owns qualifies, not only the associated one.
    holder = ready.wallet()
    associated = ready.give_grid(holder.pubkey(), GRID)
    other = Keypair().pubkey()
    ready.put(other, TOKEN_PROGRAM_ID, ready.data(associated))
    ready.burn(holder, GRID, token_account=other)
    assert (ready.balance(other), ready.balance(associated)) == (0, GRID)


def test_burn_more_than_the_balance_fails_in_the_token_program(ready: TokenEnv) -> None:
    holder = ready.wallet()
    ready.give_grid(holder.pubkey(), GRID)
    ix = ready.client.burn(holder=holder.pubkey(), amount=GRID + 1)
    assert ready.fail([ix], [holder]) == TOKEN_INSUFFICIENT_FUNDS


def test_burn_zero_is_refused(ready: TokenEnv) -> None:
    holder = ready.wallet()
    ready.give_grid(holder.pubkey(), GRID)
    assert ready.fail([ready.client.burn(holder=holder.pubkey(), amount=0)], [holder]) == code("ZeroAmount")


def test_burn_requires_the_holder_signature(ready: TokenEnv) -> None:
    holder = ready.wallet()
    ready.give_grid(holder.pubkey(), GRID)
    ix = ready.client.burn(holder=holder.pubkey(), amount=1)
    assert ready.fail([with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    assert ready.balance(ready.client.grid_account(holder.pubkey())) == GRID


def test_burn_from_someone_elses_account_is_refused(ready: TokenEnv) -> None:
    victim = ready.wallet()
    thief = ready.wallet()
    victim_account = ready.give_grid(victim.pubkey(), GRID)
    ix = ready.client.burn(holder=thief.pubkey(), amount=1, token_account=victim_account)
    assert ready.fail([ix], [thief]) == code("WrongTokenOwner")


def test_burn_from_an_account_of_another_mint_is_refused(ready: TokenEnv) -> None:
    holder = ready.wallet()
    grid_account = ready.give_grid(holder.pubkey(), GRID)
    foreign = bytearray(ready.data(grid_account))
    foreign[:32] = bytes(Keypair().pubkey())
    other = Keypair().pubkey()
    ready.put(other, TOKEN_PROGRAM_ID, bytes(foreign))
    ix = ready.client.burn(holder=holder.pubkey(), amount=1, token_account=other)
    assert ready.fail([ix], [holder]) == code("WrongTokenMint")


def test_burn_refuses_substituted_accounts(ready: TokenEnv) -> None:
    holder = ready.wallet()
    grid_account = ready.give_grid(holder.pubkey(), GRID)
    ix = ready.client.burn(holder=holder.pubkey(), amount=1)
    not_a_token_account = ready.wallet().pubkey()  # a system account
    short = Keypair().pubkey()
    ready.put(short, TOKEN_PROGRAM_ID, ready.data(grid_account)[:MINT_LEN])
    foreign_config = Keypair().pubkey()
    ready.put(foreign_config, ready.registry_id, ready.data(ready.client.config_pda().address))
    fake_config = Keypair().pubkey()
    ready.put(fake_config, ready.program_id, bytes(CONFIG_LEN))
    token_2022 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
    cases = [
        ("token_account", not_a_token_account, "InvalidOwner"),
        ("token_account", short, "InvalidAccountData"),
        ("mint", Keypair().pubkey(), "InvalidMint"),
        ("token_program", token_2022, "InvalidTokenProgram"),
        ("config", foreign_config, "InvalidOwner"),
        ("config", fake_config, "InvalidAccountData"),
    ]
    for account, address, error in cases:
        bad = with_account(ix, account_index("burn", account), address)
        assert ready.fail([bad], [holder]) == code(error), (account, error)
    for account in ("token_account", "mint"):
        bad = with_meta(ix, account_index("burn", account), writable=False)
        assert ready.fail([bad], [holder]) == code("AccountNotWritable"), account
    assert ready.balance(grid_account) == GRID


def test_burn_rejects_malformed_arguments(ready: TokenEnv) -> None:
    holder = ready.wallet()
    ready.give_grid(holder.pubkey(), GRID)
    ix = ready.client.burn(holder=holder.pubkey(), amount=1)
    assert ready.fail([with_data(ix, bytes(ix.data)[:-1])], [holder]) == code("InvalidInstructionData")
    assert ready.fail([with_data(ix, bytes(ix.data) + b"\x00")], [holder]) == code("InvalidInstructionData")
    assert struct.unpack("<Q", bytes(ix.data)[8:]) == (1,)


def test_burn_before_initialize_fails(token: TokenEnv) -> None:
    holder = token.wallet()
    ix = token.client.burn(holder=holder.pubkey(), amount=1)
    assert token.fail([ix], [holder]) == code("InvalidOwner")
