"""The registry's device-key rules, checked before sending (``register_meter``, ``rotate_device_key``).

The registry refuses a device key (an Ed25519 public key) that is all zeroes (``InvalidDeviceKey``),
that is not the canonical encoding of a curve point (``MalformedDeviceKey``: y >= p = 2^255 - 19, x = 0
with the sign bit set, or bytes that do not decompress), or that is one of the eight small-order points
(``WeakDeviceKey``: signatures under such a key can be forged wherever verification is not strict).
This module applies the same rules in the same order, so that a bad key fails here with one line
instead of as a program error. Keys generated from a secret (``DeviceSigner``) always pass.
"""

from __future__ import annotations

from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError

KEY_LEN = 32
FIELD_PRIME = 2**255 - 19
SIGN_BIT = 1 << 255

SMALL_ORDER_POINTS: frozenset[bytes] = frozenset(
    bytes.fromhex(encoding)
    for encoding in (
        "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
        "0000000000000000000000000000000000000000000000000000000000000080",  # order 4
        "0100000000000000000000000000000000000000000000000000000000000000",  # the identity
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  # order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  # order 8
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
    )
)
"""The canonical encodings of the eight points whose order divides 8 (the registry's table)."""


class DeviceKeyError(UserFacingError, ValueError):
    """A device key the registry would refuse; ``error`` is the registry error's name."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


def check_device_key(key: bytes) -> None:
    """Raises :class:`DeviceKeyError` unless the registry accepts ``key`` as a device key."""
    if len(key) != KEY_LEN:
        raise DeviceKeyError("InvalidDeviceKey", "a device key is a 32-byte Ed25519 public key")
    if key == bytes(KEY_LEN):
        raise DeviceKeyError("InvalidDeviceKey", "the device key must not be all zeroes")
    value = int.from_bytes(key, "little")
    y = value & (SIGN_BIT - 1)
    if y >= FIELD_PRIME or (value & SIGN_BIT and y in (1, FIELD_PRIME - 1)):
        raise DeviceKeyError(
            "MalformedDeviceKey",
            f"device key {key.hex()} is not a canonical Ed25519 encoding (y >= p, or x = 0 with a sign bit)",
        )
    if key in SMALL_ORDER_POINTS:
        raise DeviceKeyError(
            "WeakDeviceKey",
            f"device key {key.hex()} is a small-order Ed25519 point: signatures under it can be forged",
        )
    if not Pubkey(key).is_on_curve():
        raise DeviceKeyError("MalformedDeviceKey", f"device key {key.hex()} is not an Ed25519 curve point")
