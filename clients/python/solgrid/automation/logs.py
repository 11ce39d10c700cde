"""Logging of the services: one line per event on stderr, timestamped, with the HTTP clients' per-request
chatter left out."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(message)s"
NOISY = ("httpx", "httpcore", "aiohttp.access")


def setup_logging(verbose: bool = False) -> None:
    """INFO lines (DEBUG with ``verbose``) on stderr."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=FORMAT)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
