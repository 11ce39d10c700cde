"""JSON-RPC 2.0 envelopes: single requests, batches, notifications and the standard error codes.

Whatever arrives, the answer is a JSON-RPC response (or nothing, for notifications): invalid JSON gives
-32700, a malformed envelope -32600, an unknown method -32601, bad params -32602 and an unexpected
exception inside a handler -32603 (logged, the server keeps serving).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from solgrid.localnet.rpc_errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    PARSE_ERROR,
    RpcError,
    method_not_found,
)

log = logging.getLogger("solgrid.localnet")

Handlers = Mapping[str, Callable[[Any], Any]]
_NO_ID = object()


def error_response(error: RpcError, request_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": error.to_json(), "id": request_id}


def handle_call(handlers: Handlers, request: Any) -> dict[str, Any] | None:
    """One request object -> its response, or None for a notification (a request without "id")."""
    if not isinstance(request, dict):
        return error_response(RpcError(INVALID_REQUEST, "Invalid request"))
    request_id = request.get("id", _NO_ID)
    reply_id = None if request_id is _NO_ID else request_id
    if (
        request.get("jsonrpc") != "2.0"
        or not isinstance(request.get("method"), str)
        or not (request_id is _NO_ID or request_id is None or isinstance(request_id, (str, int)))
        or isinstance(request_id, bool)
    ):
        return error_response(RpcError(INVALID_REQUEST, "Invalid request"), reply_id)
    handler = handlers.get(request["method"])
    try:
        if handler is None:
            raise method_not_found()
        result = handler(request.get("params"))
    except RpcError as e:
        response = error_response(e, reply_id)
    except Exception:
        log.exception("internal error in %s", request["method"])
        response = error_response(RpcError(INTERNAL_ERROR, "Internal error"), reply_id)
    else:
        response = {"jsonrpc": "2.0", "result": result, "id": reply_id}
    return None if request_id is _NO_ID else response


def handle_body(handlers: Handlers, body: bytes) -> Any:
    """A request body -> the response JSON value (None when nothing is to be sent back)."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return error_response(RpcError(PARSE_ERROR, "Parse error"))
    if isinstance(parsed, list):
        if not parsed:
            return error_response(RpcError(INVALID_REQUEST, "Invalid request"))
        responses = [r for r in (handle_call(handlers, item) for item in parsed) if r is not None]
        return responses or None
    return handle_call(handlers, parsed)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
