"""``solgrid.sdk.device_keys``: the table of small-order points is the curve's torsion subgroup, derived
here with integer Edwards arithmetic (not copied), and the check refuses what the registry refuses,
in the same order and with the registry's error names."""

from __future__ import annotations

import pytest

from solgrid.sdk.device_keys import SMALL_ORDER_POINTS, DeviceKeyError, check_device_key
from solgrid.sdk.readings import DeviceSigner

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1)
Point = tuple[int, int]


def sqrt(a: int) -> int | None:
    root = pow(a, (P + 3) // 8, P)
    for candidate in (root, root * SQRT_M1 % P):
        if candidate * candidate % P == a % P:
            return candidate
    return None


def add(a: Point, b: Point) -> Point:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return (x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P


def order(point: Point) -> int:
    multiple, n = point, 1
    while multiple != IDENTITY:
        multiple, n = add(multiple, point), n + 1
        assert n <= 8
    return n


def encode(point: Point) -> bytes:
    x, y = point
    return (y | (x & 1) << 255).to_bytes(32, "little")


def torsion_points() -> set[Point]:
    """The points P with 8P = 0: x = 0 (y = +-1), y = 0 (x = +-sqrt(-1)), and the order-8 points, whose
    double has y = 0, i.e. x^2 = -y^2 on the curve: d y^4 + 2 y^2 - 1 = 0."""
    points = {(0, 1), (0, P - 1), (SQRT_M1, 0), (P - SQRT_M1, 0)}
    root = sqrt(4 + 4 * D)
    assert root is not None
    for s in (root, P - root):
        y = sqrt((s - 2) * pow(2 * D, -1, P))
        if y is None:
            continue
        for yy in (y, P - y):
            x = sqrt((yy * yy - 1) * pow(D * yy * yy + 1, -1, P))
            assert x is not None
            points |= {(x, yy), (P - x, yy)}
    return points


def test_the_table_is_the_torsion_subgroup() -> None:
    points = torsion_points()
    assert sorted(order(point) for point in points) == [1, 2, 4, 4, 8, 8, 8, 8]
    assert {encode(point) for point in points} == SMALL_ORDER_POINTS


@pytest.mark.parametrize("point", sorted(SMALL_ORDER_POINTS), ids=lambda b: b.hex()[:8])
def test_small_order_points_are_refused(point: bytes) -> None:
    with pytest.raises(DeviceKeyError) as refused:
        check_device_key(point)
    assert refused.value.error == ("InvalidDeviceKey" if point == bytes(32) else "WeakDeviceKey")


@pytest.mark.parametrize(
    "value",
    [1 | 1 << 255, (P - 1) | 1 << 255, *range(P, 2**255), *(y | 1 << 255 for y in range(P, 2**255))],
    ids=str,
)
def test_non_canonical_encodings_are_malformed(value: int) -> None:
    with pytest.raises(DeviceKeyError) as refused:
        check_device_key(value.to_bytes(32, "little"))
    assert refused.value.error == "MalformedDeviceKey"


def test_no_curve_point_and_wrong_length() -> None:
    with pytest.raises(DeviceKeyError, match="not an Ed25519 curve point"):
        check_device_key((2).to_bytes(32, "little"))
    with pytest.raises(DeviceKeyError, match="32-byte"):
        check_device_key(bytes(31))


def test_generated_keys_pass() -> None:
    for _ in range(32):
        check_device_key(DeviceSigner.generate().public_key)
    # One error line, with the key.
    with pytest.raises(DeviceKeyError) as refused:
        check_device_key(bytes.fromhex("01" + "00" * 31))
    assert "\n" not in str(refused.value) and "0100" in str(refused.value)
