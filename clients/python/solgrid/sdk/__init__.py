"""Typed clients for SolGrid's programs: PDAs, instruction builders, account and event decoding."""
