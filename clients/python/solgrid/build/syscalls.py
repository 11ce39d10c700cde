"""The Solana syscalls an SBPFv0 program may call, as the BPFLoaderUpgradeable deploy path accepts them.

A call to an undefined symbol stays in the linked program as a dynamic relocation against the symbol's name;
the loader replaces it with ``murmur3(name)``. When deploying, the loader rejects every name its runtime
environment does not register ("Unresolved symbol"). The linker checks the same list up front, so that a
typo or a missing Rust function is reported with the calling function's name at build time.

The list is what agave 2.2 (``create_program_runtime_environment_v1``) registers with every feature that
mainnet has activated; ``tests/build/test_link_syscalls.py`` deploys a program that calls each of them.
"""

from __future__ import annotations

DEPLOYABLE_SYSCALLS: frozenset[str] = frozenset(
    {
        "abort",
        "sol_panic_",
        "sol_log_",
        "sol_log_64_",
        "sol_log_compute_units_",
        "sol_log_pubkey",
        "sol_log_data",
        "sol_create_program_address",
        "sol_try_find_program_address",
        "sol_sha256",
        "sol_keccak256",
        "sol_blake3",
        "sol_secp256k1_recover",
        "sol_curve_validate_point",
        "sol_curve_group_op",
        "sol_curve_multiscalar_mul",
        "sol_get_clock_sysvar",
        "sol_get_epoch_schedule_sysvar",
        "sol_get_rent_sysvar",
        "sol_get_last_restart_slot",
        "sol_get_epoch_rewards_sysvar",
        "sol_get_sysvar",
        "sol_get_epoch_stake",
        "sol_memcpy_",
        "sol_memmove_",
        "sol_memset_",
        "sol_memcmp_",
        "sol_get_processed_sibling_instruction",
        "sol_get_stack_height",
        "sol_set_return_data",
        "sol_get_return_data",
        "sol_invoke_signed_c",
        "sol_invoke_signed_rust",
        "sol_alt_bn128_group_op",
        "sol_alt_bn128_compression",
        "sol_big_mod_exp",
        "sol_poseidon",
        "sol_remaining_compute_units",
    }
)

RETIRED_SYSCALLS: dict[str, str] = {
    "sol_alloc_free_": "new deployments may not use it (feature disable_deploy_of_alloc_free_syscall); "
    "use a bump allocator on the heap region instead",
    "sol_get_fees_sysvar": "the Fees sysvar is gone (feature disable_fees_sysvar)",
}
"""Names older programs used that the loader registers only for programs deployed before a feature gate."""

SYMBOL_ALIASES: dict[str, str] = {"__bpf_trap": "abort"}
"""Undefined symbols the upstream BPF backend emits for which a Solana syscall does the same job.

llc lowers ``llvm.trap`` (Rust's ``core::intrinsics::abort``, ``unreachable`` traps) to a call to
``__bpf_trap``; on Solana the ``abort`` syscall ends the program with an error, which is the same contract.
"""


def syscall_for(symbol: str) -> str:
    """The syscall name the loader must resolve for a call to the undefined ``symbol``."""
    return SYMBOL_ALIASES.get(symbol, symbol)
