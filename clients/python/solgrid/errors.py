"""Errors that reach users as one line (the CLI prints them without a traceback)."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose message is complete and actionable on its own."""


def user_error_types() -> tuple[type[BaseException], ...]:
    """Every exception type the CLI reports as a one-line error."""
    from solgrid.build.errors import BuildError

    return (UserFacingError, BuildError)
