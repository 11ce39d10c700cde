"""Device-signed meter readings: the signed message, signing with a device key (PyNaCl) and the Ed25519
precompile instruction that carries a batch of signatures for the registry's ``submit_readings``.

The registry requires the Ed25519 instruction to sit immediately before ``submit_readings``, with one
signature per reading in the same order, every offsets entry pointing into the Ed25519 instruction's
own data (instruction index ``u16::MAX``) and 32-byte messages::

    sha256(b"solgrid:reading:v1" || program_id || meter || window_start u32 || window_secs u16
           || production_wh u32 || consumption_wh u32)          # little-endian

(the window travels as its start and length, ``window_secs = window_end - window_start``, 1..=65535).

The instruction data laid out here is: ``num_signatures: u8``, one padding byte, ``num_signatures``
14-byte offsets entries, then for each reading its public key (32), signature (64) and message (32).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey
from solders.instruction import Instruction
from solders.pubkey import Pubkey

ED25519_PROGRAM_ID = Pubkey.from_string("Ed25519SigVerify111111111111111111111111111")
READING_DOMAIN = b"solgrid:reading:v1"
THIS_INSTRUCTION = 0xFFFF
HEADER_LEN = 2
OFFSETS_LEN = 14
PUBKEY_LEN = 32
SIGNATURE_LEN = 64
MESSAGE_LEN = 32
U32_MAX = 2**32 - 1
U16_MAX = 2**16 - 1


@dataclass(frozen=True)
class Reading:
    """One metering window ``[window_start, window_end)`` in Unix seconds, and watt-hours.

    On the wire the window is its start (u32) and length (u16); production and consumption are u32.
    """

    window_start: int
    window_end: int
    production_wh: int
    consumption_wh: int

    @property
    def window_secs(self) -> int:
        return self.window_end - self.window_start

    def to_bytes(self) -> bytes:
        """The borsh encoding (u32, u16, u32, u32 LE), which is also what the message hashes.

        Raises ValueError for values the wire format cannot carry (the program would refuse an empty
        window anyway; a test that wants to send one builds the bytes itself).
        """
        values = (self.window_start, self.production_wh, self.consumption_wh)
        if not all(0 <= v <= U32_MAX for v in values) or not 0 <= self.window_secs <= U16_MAX:
            raise ValueError(
                f"reading does not fit the wire format (u32 fields, window of 0..=65535 s): {self}"
            )
        return struct.pack(
            "<IHII", self.window_start, self.window_secs, self.production_wh, self.consumption_wh
        )

    def as_args(self) -> dict[str, int]:
        """The IDL ``Reading`` struct for anchorpy's coder."""
        self.to_bytes()
        return {
            "window_start": self.window_start,
            "window_secs": self.window_secs,
            "production_wh": self.production_wh,
            "consumption_wh": self.consumption_wh,
        }


def reading_message(program_id: Pubkey, meter: Pubkey, reading: Reading) -> bytes:
    """The 32-byte message a device signs for ``reading`` of ``meter`` under registry ``program_id``."""
    return hashlib.sha256(READING_DOMAIN + bytes(program_id) + bytes(meter) + reading.to_bytes()).digest()


@dataclass(frozen=True)
class SignedReading:
    """A reading with its meter and the device's Ed25519 signature over :func:`reading_message`."""

    meter: Pubkey
    reading: Reading
    public_key: bytes
    signature: bytes
    message: bytes


class DeviceSigner:
    """A meter's device key. In production it lives in the meter; here it signs readings in software."""

    def __init__(self, signing_key: SigningKey) -> None:
        self._key = signing_key

    @classmethod
    def generate(cls) -> DeviceSigner:
        return cls(SigningKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> DeviceSigner:
        return cls(SigningKey(seed))

    @property
    def public_key(self) -> bytes:
        """The 32-byte key registered as the meter's ``device_key``."""
        return bytes(self._key.verify_key)

    def sign(self, program_id: Pubkey, meter: Pubkey, reading: Reading) -> SignedReading:
        message = reading_message(program_id, meter, reading)
        return SignedReading(meter, reading, self.public_key, self.sign_bytes(message), message)

    def sign_bytes(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of arbitrary ``message`` (for tools and tests; readings go
        through :meth:`sign`)."""
        return bytes(self._key.sign(message).signature)


def verify(signed: SignedReading) -> bool:
    """Whether ``signed.signature`` is a valid signature of ``signed.message`` by ``signed.public_key``."""
    try:
        VerifyKey(signed.public_key).verify(signed.message, signed.signature)
    except (BadSignatureError, ValueError):
        return False
    return True


def ed25519_instruction(batch: Sequence[SignedReading]) -> Instruction:
    """The Ed25519 precompile instruction verifying every signature of ``batch``, in order.

    Every offsets entry points into this instruction's own data (index ``u16::MAX``), as the registry
    requires; entries are all laid out before the data so that offsets stay fixed-size.
    """
    if not 1 <= len(batch) <= 255:
        raise ValueError("an Ed25519 instruction carries 1 to 255 signatures")
    table_end = HEADER_LEN + OFFSETS_LEN * len(batch)
    entry = PUBKEY_LEN + SIGNATURE_LEN + MESSAGE_LEN
    offsets = bytearray()
    payload = bytearray()
    for i, signed in enumerate(batch):
        if len(signed.message) != MESSAGE_LEN or len(signed.public_key) != PUBKEY_LEN:
            raise ValueError("a reading message is 32 bytes and a device key 32 bytes")
        base = table_end + i * entry
        pk_offset, sig_offset, msg_offset = base, base + PUBKEY_LEN, base + PUBKEY_LEN + SIGNATURE_LEN
        offsets += struct.pack(
            "<HHHHHHH",
            sig_offset,
            THIS_INSTRUCTION,
            pk_offset,
            THIS_INSTRUCTION,
            msg_offset,
            MESSAGE_LEN,
            THIS_INSTRUCTION,
        )
        payload += signed.public_key + signed.signature + signed.message
    data = bytes([len(batch), 0]) + bytes(offsets) + bytes(payload)
    return Instruction(ED25519_PROGRAM_ID, data, [])
