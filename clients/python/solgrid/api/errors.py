"""Errors as the API answers them: a 4xx status with ``{"error": "<one line>"}``.

FastAPI answers a parameter that does not validate with a 422 and a list of details; here it is a 400
whose one line names the parameter and what was wrong, so that a client (or a person with curl) reads
it at once. Nothing a client sends can make a 500: an unknown resource is a 404, a bad value a 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


class ApiError(Exception):
    """A request the API refuses: ``status`` (4xx) and one line saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, f"{name}: {message}")


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def describe_validation(errors: list[Any]) -> str:
    """One line for FastAPI's validation errors: ``<parameter>: <message>`` of each, joined."""
    parts = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body")]
        name = ".".join(location) or "request"
        parts.append(f"{name}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.message)

    async def validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(400, describe_validation(list(exc.errors())))

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return error_response(exc.status_code, str(exc.detail))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(HTTPException, http_error)
