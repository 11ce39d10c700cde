"""Strict device keys in LiteSVM: ``register_meter`` and ``rotate_device_key`` refuse each of the eight
small-order Ed25519 points, every non-canonical encoding of one, y >= p, and bytes that are no curve point,
with a typed error; ordinary keys (either x sign) are still accepted. The SDK refuses the same keys before
sending, so the program's checks are reached here by editing the key bytes of an instruction the SDK built
for a good key.
"""

from __future__ import annotations

import pytest
from instruction_edits import with_data
from registry_harness import ZONE_ID, RegistryEnv, code
from solders.instruction import Instruction
from solders.keypair import Keypair

from solgrid.sdk.device_keys import SMALL_ORDER_POINTS, DeviceKeyError
from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import EnergySource

P = 2**255 - 19
SIGN = 1 << 255
DISCRIMINATOR_LEN = 8
# register_meter's data: discriminator, serial[32], device_key[32], ...; rotate_device_key's: new_key[32].
REGISTER_KEY_AT = DISCRIMINATOR_LEN + 32
ROTATE_KEY_AT = DISCRIMINATOR_LEN


def key(value: int) -> bytes:
    return value.to_bytes(32, "little")


def y_of(encoding: bytes) -> int:
    return int.from_bytes(encoding, "little") & (SIGN - 1)


SMALL_ORDER = sorted(SMALL_ORDER_POINTS)
ZERO = bytes(32)
WEAK = [point for point in SMALL_ORDER if point != ZERO]
NON_CANONICAL = {
    "identity, x = -0": key(1 | SIGN),
    "order 2, x = -0": key((P - 1) | SIGN),
    "order 4, y = p": key(P),
    "order 4, y = p, sign": key(P | SIGN),
    "identity, y = p + 1": key(P + 1),
    "identity, y = p + 1, sign": key((P + 1) | SIGN),
    "y = 2^255 - 1": key(SIGN - 1),
}
NOT_A_POINT = key(2)  # (y^2 - 1) / (d y^2 + 1) is no square for y = 2


def expected(encoding: bytes) -> str:
    if encoding == ZERO:
        return "InvalidDeviceKey"
    if encoding in SMALL_ORDER_POINTS:
        return "WeakDeviceKey"
    return "MalformedDeviceKey"


CASES = [pytest.param(point, id=f"small-order-{point.hex()[:8]}") for point in SMALL_ORDER] + [
    pytest.param(encoding, id=name) for name, encoding in NON_CANONICAL.items()
]


def register_ix(registry: RegistryEnv, owner: Keypair, serial: bytes, device_key: bytes) -> Instruction:
    return registry.client.register_meter(
        payer=registry.payer.pubkey(),
        owner=owner.pubkey(),
        zone_id=ZONE_ID,
        serial=serial,
        device_key=device_key,
        source=EnergySource.SOLAR,
        capacity_w=3_000,
    )


def with_key(ix: Instruction, at: int, device_key: bytes) -> Instruction:
    data = bytearray(bytes(ix.data))
    assert len(device_key) == 32
    data[at : at + 32] = device_key
    return with_data(ix, bytes(data))


def test_the_cases_are_what_they_claim() -> None:
    assert len(SMALL_ORDER) == 8
    # The six non-canonical encodings of small-order points, and y = 2^255 - 1 (y >= p).
    for name, encoding in NON_CANONICAL.items():
        y = y_of(encoding)
        assert y >= P or (y in (1, P - 1) and encoding[31] & 0x80), name


@pytest.mark.parametrize("device_key", [*CASES, pytest.param(NOT_A_POINT, id="not-a-point")])
def test_register_meter_refuses_the_key(registry: RegistryEnv, device_key: bytes) -> None:
    registry.market()
    owner = registry.verified_wallet()
    good = register_ix(registry, owner, b"M-1", DeviceSigner.generate().public_key)
    bad = with_key(good, REGISTER_KEY_AT, device_key)
    assert registry.fail([bad], [owner]) == code(expected(device_key))
    assert registry.account(registry.client.meter_pda(b"M-1").address) is None
    with pytest.raises(DeviceKeyError) as refused:
        register_ix(registry, owner, b"M-1", device_key)
    assert refused.value.error == expected(device_key)
    # The same registration with the good key goes through.
    registry.send([good], [owner])
    assert registry.meter(registry.client.meter_pda(b"M-1").address).device_key == bytes(
        good.data[REGISTER_KEY_AT : REGISTER_KEY_AT + 32]
    )


@pytest.mark.parametrize("device_key", [*CASES, pytest.param(NOT_A_POINT, id="not-a-point")])
def test_rotate_device_key_refuses_the_key(registry: RegistryEnv, device_key: bytes) -> None:
    registry.market()
    p = registry.prosumer()
    quorum = registry.quorum()
    cosigners = [k.pubkey() for k in quorum]
    new = DeviceSigner.generate().public_key
    good = registry.client.rotate_device_key(meter=p.meter, new_key=new, cosigners=cosigners)
    bad = with_key(good, ROTATE_KEY_AT, device_key)
    assert registry.fail([bad], quorum) == code(expected(device_key))
    assert registry.meter(p.meter).device_key == p.device.public_key
    with pytest.raises(DeviceKeyError) as refused:
        registry.client.rotate_device_key(meter=p.meter, new_key=device_key, cosigners=cosigners)
    assert refused.value.error == expected(device_key)
    registry.send([good], quorum)
    assert registry.meter(p.meter).device_key == new


def test_keys_of_either_x_sign_are_accepted(registry: RegistryEnv) -> None:
    registry.market()
    owner = registry.verified_wallet()
    signs = set()
    serial = 0
    while signs != {0, 0x80}:
        device_key = DeviceSigner.generate().public_key
        sign = device_key[31] & 0x80
        if sign in signs:
            continue
        signs.add(sign)
        serial += 1
        registry.send([register_ix(registry, owner, f"S-{serial}".encode(), device_key)], [owner])
        meter = registry.client.meter_pda(f"S-{serial}".encode()).address
        assert registry.meter(meter).device_key == device_key
