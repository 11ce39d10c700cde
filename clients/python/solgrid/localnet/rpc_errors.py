"""JSON-RPC errors with the codes and messages a Solana validator uses.

Clients (solana-py through solders, anchorpy) parse errors by code and ``data``, so the codes here are the
validator's: the standard JSON-RPC ones plus Solana's custom range (-32002 preflight failure, -32003
signature verification failure, -32015 unsupported transaction version, -32016 min context slot, -32020
a ``before``/``until`` signature that is not in the node's history).
"""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

SEND_TRANSACTION_PREFLIGHT_FAILURE = -32002
TRANSACTION_SIGNATURE_VERIFICATION_FAILURE = -32003
UNSUPPORTED_TRANSACTION_VERSION = -32015
MIN_CONTEXT_SLOT_NOT_REACHED = -32016
TRANSACTION_NOT_FOUND = -32020
"""getSignaturesForAddress with a ``before`` or ``until`` signature the node does not have (never
seen, or pruned from its history), as agave 4.2 answers it."""


class RpcError(Exception):
    """An error answered to a JSON-RPC request (never a crash of the server)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params(detail: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"Invalid params: {detail}")


def invalid_param(detail: str) -> RpcError:
    """The validator's wording for a parameter whose value (not type) is wrong."""
    return RpcError(INVALID_PARAMS, f"Invalid param: {detail}")


def invalid_request(detail: str = "Invalid request") -> RpcError:
    return RpcError(INVALID_REQUEST, detail)


def method_not_found() -> RpcError:
    return RpcError(METHOD_NOT_FOUND, "Method not found")


def min_context_slot_not_reached(context_slot: int) -> RpcError:
    return RpcError(
        MIN_CONTEXT_SLOT_NOT_REACHED,
        "Minimum context slot has not been reached",
        {"contextSlot": context_slot},
    )


def transaction_not_found(signature: str) -> RpcError:
    return RpcError(TRANSACTION_NOT_FOUND, f"Transaction {signature} not found")
