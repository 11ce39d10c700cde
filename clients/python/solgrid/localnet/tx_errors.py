"""Transaction errors as the validator serialises and prints them.

The JSON form must be byte-for-byte the validator's (solders parses ``err`` back into typed errors and
anchorpy maps ``{"InstructionError":[i,{"Custom":n}]}`` to program errors), so it comes from the engine:
agave 4's own serde (``engine.Processed.err``). The text form is used only in human-readable
messages, such as "Transaction simulation failed: Error processing Instruction 0: custom program error:
0x1770".
"""

from __future__ import annotations

from typing import Any

ALREADY_PROCESSED: Any = "AlreadyProcessed"
BLOCKHASH_NOT_FOUND: Any = "BlockhashNotFound"
SIGNATURE_FAILURE: Any = "SignatureFailure"

_TRANSACTION_ERROR_TEXT = {
    "AccountInUse": "Account in use",
    "AccountLoadedTwice": "Account loaded twice",
    "AccountNotFound": "Attempt to debit an account but found no record of a prior credit.",
    "ProgramAccountNotFound": "Attempt to load a program that does not exist",
    "InsufficientFundsForFee": "Insufficient funds for fee",
    "InvalidAccountForFee": "This account may not be used to pay transaction fees",
    "AlreadyProcessed": "This transaction has already been processed",
    "BlockhashNotFound": "Blockhash not found",
    "CallChainTooDeep": "Loader call chain is too deep",
    "MissingSignatureForFee": "Transaction requires a fee but has no signature present",
    "InvalidAccountIndex": "Transaction contains an invalid account reference",
    "SignatureFailure": "Transaction did not pass signature verification",
    "InvalidProgramForExecution": "This program may not be used for executing instructions",
    "SanitizeFailure": "Transaction failed to sanitize accounts offsets correctly",
    "ClusterMaintenance": "Transactions are currently disabled due to cluster maintenance",
    "WouldExceedMaxBlockCostLimit": "Transaction would exceed max Block Cost Limit",
    "UnsupportedVersion": "Transaction version is unsupported",
    "InvalidWritableAccount": "Transaction loads a writable account that cannot be written",
    "AddressLookupTableNotFound": "Transaction loads an address table account that doesn't exist",
    "InvalidAddressLookupTableOwner": "Transaction loads an address table account with an invalid owner",
    "InvalidAddressLookupTableData": "Transaction loads an address table account with invalid data",
    "InvalidAddressLookupTableIndex": "Transaction address table lookup uses an invalid index",
    "InvalidRentPayingAccount": "Transaction leaves an account with a lower balance than rent-exempt minimum",
    "MaxLoadedAccountsDataSizeExceeded": "Transaction exceeded max loaded accounts data size cap",
    "InvalidLoadedAccountsDataSizeLimit": (
        "LoadedAccountsDataSizeLimit set for transaction must be greater than 0."
    ),
    "ResanitizationNeeded": "ResanitizationNeeded",
    "UnbalancedTransaction": "Sum of account balances before and after transaction do not match",
    "ProgramCacheHitMaxLimit": "Program cache hit max limit",
}

_INSTRUCTION_ERROR_TEXT = {
    "GenericError": "generic instruction error",
    "InvalidArgument": "invalid program argument",
    "InvalidInstructionData": "invalid instruction data",
    "InvalidAccountData": "invalid account data for instruction",
    "AccountDataTooSmall": "account data too small for instruction",
    "InsufficientFunds": "insufficient funds for instruction",
    "IncorrectProgramId": "incorrect program id for instruction",
    "MissingRequiredSignature": "missing required signature for instruction",
    "AccountAlreadyInitialized": "instruction requires an uninitialized account",
    "UninitializedAccount": "instruction requires an initialized account",
    "NotEnoughAccountKeys": "insufficient account keys for instruction",
    "AccountBorrowFailed": "instruction tries to borrow reference for an account which is already borrowed",
    "ProgramFailedToComplete": "Program failed to complete",
    "ProgramFailedToCompile": "Program failed to compile",
    "ComputationalBudgetExceeded": "Computational budget exceeded",
    "InvalidAccountOwner": "Invalid account owner",
    "IllegalOwner": "Provided owner is not allowed",
    "InvalidRealloc": "Failed to reallocate account data",
    "UnsupportedProgramId": "Unsupported program id",
    "InvalidSeeds": "Provided seeds do not result in a valid address",
    "PrivilegeEscalation": "Cross-program invocation with unauthorized signer or writable account",
    "ReadonlyLamportChange": "instruction changed the balance of a read-only account",
    "ExternalAccountLamportSpend": "instruction spent from the balance of an account it does not own",
    "ExternalAccountDataModified": "instruction modified data of an account it does not own",
    "ReadonlyDataModified": "instruction modified data of a read-only account",
    "UnbalancedInstruction": "sum of account balances before and after instruction do not match",
    "MaxSeedLengthExceeded": "Length of the seed is too long for address generation",
    "CallDepth": "Cross-program invocation call depth too deep",
    "ReentrancyNotAllowed": "Cross-program invocation reentrancy not allowed for this instruction",
    "BorshIoError": "Failed to serialize or deserialize account data",  # agave 4: no message of its own
    "ModifiedProgramId": "instruction illegally modified the program id of an account",
    "DuplicateAccountIndex": "instruction contains duplicate accounts",
    "ExecutableModified": "instruction changed executable bit of an account",
    "RentEpochModified": "instruction modified rent epoch of an account",
    "AccountDataSizeChanged": "program other than the account's owner changed the size of the account data",
    "AccountNotExecutable": "instruction expected an executable account",
    "AccountBorrowOutstanding": "instruction left account with an outstanding borrowed reference",
    "DuplicateAccountOutOfSync": "instruction modifications of multiply-passed account differ",
    "InvalidError": "program returned invalid error code",
    "ExecutableDataModified": "instruction changed executable accounts data",
    "ExecutableLamportChange": "instruction changed the balance of an executable account",
    "ExecutableAccountNotRentExempt": "executable accounts must be rent exempt",
    "MissingAccount": "An account required by the instruction is missing",
    "ProgramEnvironmentSetupFailure": "Failed to create program execution environment",
    "Immutable": "Account is immutable",
    "IncorrectAuthority": "Incorrect authority provided",
    "AccountNotRentExempt": "An account does not have enough lamports to be rent-exempt",
    "ArithmeticOverflow": "Program arithmetic overflowed",
    "UnsupportedSysvar": "Unsupported sysvar",
    "MaxAccountsDataAllocationsExceeded": (
        "Accounts data allocations exceeded the maximum allowed per transaction"
    ),
    "MaxAccountsExceeded": "Max accounts exceeded",
    "MaxInstructionTraceLengthExceeded": "Max instruction trace length exceeded",
    "BuiltinProgramsMustConsumeComputeUnits": "Builtin programs must consume compute units",
}


def _instruction_error_text(err: Any) -> str:
    if isinstance(err, str):
        return _INSTRUCTION_ERROR_TEXT.get(err, err)
    if isinstance(err, dict) and len(err) == 1:
        ((kind, value),) = err.items()
        if kind == "Custom" and isinstance(value, int):
            return f"custom program error: {value:#x}"
        if kind == "BorshIoError":
            return f"Failed to serialize or deserialize account data: {value}"
        return f"{kind}({value})"
    return str(err)


def describe_transaction_error(err: Any) -> str:
    """The validator's human-readable text of a JSON transaction error."""
    if isinstance(err, str):
        return _TRANSACTION_ERROR_TEXT.get(err, err)
    if isinstance(err, dict) and len(err) == 1:
        ((kind, value),) = err.items()
        if kind == "InstructionError" and isinstance(value, list) and len(value) == 2:
            return f"Error processing Instruction {value[0]}: {_instruction_error_text(value[1])}"
        if kind == "InsufficientFundsForRent" and isinstance(value, dict):
            index = value.get("account_index")
            return f"Transaction results in an account ({index}) with insufficient funds for rent"
        if kind == "DuplicateInstruction":
            return f"Transaction contains a duplicate instruction ({value}) that is not allowed"
        return f"{kind}: {value}"
    return str(err)
