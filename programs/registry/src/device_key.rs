//! The rules a meter's device key (an Ed25519 public key) must meet at `register_meter` and
//! `rotate_device_key`.
//!
//! The Ed25519 precompile verifies readings against this key. A small-order point (the identity,
//! the point of order 2, the two of order 4 and the four of order 8) as a public key makes
//! signatures forgeable without any secret wherever verification is not strict (cofactored
//! verification, or `R`/`A` not checked for small order), and a non-canonical encoding names the
//! same point under a second byte string, which lenient verifiers treat differently. Only the
//! precompile's strict mode stops such keys today; refusing them at registration makes the registry
//! safe whatever the verifier.
//!
//! A key is accepted when it is:
//! 1. not all zeroes (`InvalidDeviceKey`, the original rule and code; all zeroes is also an order-4
//!    point);
//! 2. canonical: its y coordinate (the low 255 bits, little-endian) is below p = 2^255 - 19, and the
//!    x sign bit (bit 255) is clear when x = 0, i.e. when y is 1 or p - 1 (`MalformedDeviceKey`);
//! 3. not one of the eight small-order points, [`SMALL_ORDER_POINTS`] (`WeakDeviceKey`);
//! 4. the encoding of a curve point: it decompresses (`MalformedDeviceKey`). This takes a field
//!    square root; on chain it is the `sol_curve_validate_point` syscall (159 CU), see
//!    [`solgrid_program_kit::ed25519::is_curve_point`].
//!
//! Rules 1 to 3 are [`check_encoding`], integer byte comparisons only. Every non-canonical encoding
//! of a small-order point (y = p, y = p + 1, or the sign bit set on x = 0) fails rule 2, so the table
//! holds the eight canonical encodings only.

use solgrid_program_kit::ed25519;

use crate::errors::RegistryError;

/// Length of an Ed25519 public key.
pub const KEY_LEN: usize = 32;

/// p = 2^255 - 19, little-endian.
pub const FIELD_PRIME: [u8; KEY_LEN] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// The bit of the last byte that carries the sign (parity) of x.
const SIGN_BIT: u8 = 0x80;

/// The canonical encodings of the eight points of the Ed25519 curve whose order divides 8 (its
/// torsion subgroup), ordered by y: the two of order 4 (y = 0), the identity (y = 1), the four of
/// order 8 and the one of order 2 (y = p - 1). The host tests derive this list from the curve.
pub const SMALL_ORDER_POINTS: [[u8; KEY_LEN]; 8] = [
    // Order 4: (sqrt(-1), 0) and (-sqrt(-1), 0).
    [0; KEY_LEN],
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0x80,
    ],
    // Order 1: the identity (0, 1).
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    // Order 8: one y, both signs of x.
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x85,
    ],
    // Order 8: the opposite y (p minus the one above), both signs of x.
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0xfa,
    ],
    // Order 2: (0, -1), y = p - 1.
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether the y coordinate of `key` (its low 255 bits, little-endian) is at least p.
///
/// Compares from the most significant byte down; the sign bit is not part of y.
#[inline(always)]
pub fn y_at_least_p(key: &[u8; KEY_LEN]) -> bool {
    let mut i = KEY_LEN;
    while i > 0 {
        i -= 1;
        let byte = if i == KEY_LEN - 1 {
            key[i] & !SIGN_BIT
        } else {
            key[i]
        };
        if byte != FIELD_PRIME[i] {
            return byte > FIELD_PRIME[i];
        }
    }
    true
}

/// Whether `key` encodes a point with x = 0 (y = 1 or y = p - 1) with the x sign bit set: "-0",
/// a second encoding of the identity or of the order-2 point.
#[inline(always)]
pub fn is_negative_zero_x(key: &[u8; KEY_LEN]) -> bool {
    if key[KEY_LEN - 1] & SIGN_BIT == 0 {
        return false;
    }
    let mut y = *key;
    y[KEY_LEN - 1] &= !SIGN_BIT;
    // The first byte tells most keys apart without a 32-byte comparison.
    (y[0] == 0x01 && y == SMALL_ORDER_POINTS[2]) || (y[0] == 0xec && y == SMALL_ORDER_POINTS[7])
}

/// Whether `key` is a canonical encoding: y < p, and no sign bit on x = 0.
#[inline(always)]
pub fn is_canonical(key: &[u8; KEY_LEN]) -> bool {
    !y_at_least_p(key) && !is_negative_zero_x(key)
}

/// Whether `key` is one of the canonical encodings of the eight small-order points (a non-canonical
/// encoding of one is refused by [`is_canonical`] first).
#[inline(always)]
pub fn is_small_order(key: &[u8; KEY_LEN]) -> bool {
    // The first byte tells most keys apart without a 32-byte comparison.
    SMALL_ORDER_POINTS
        .iter()
        .any(|point| point[0] == key[0] && point == key)
}

/// Rules 1 to 3 (see the module documentation): integer comparisons only, no curve arithmetic.
#[inline(always)]
pub fn check_encoding(key: &[u8; KEY_LEN]) -> Result<(), RegistryError> {
    if *key == [0u8; KEY_LEN] {
        return Err(RegistryError::InvalidDeviceKey);
    }
    if !is_canonical(key) {
        return Err(RegistryError::MalformedDeviceKey);
    }
    if is_small_order(key) {
        return Err(RegistryError::WeakDeviceKey);
    }
    Ok(())
}

/// Every rule: [`check_encoding`], then that the key decompresses to a curve point.
#[inline(always)]
pub fn check_device_key(key: &[u8; KEY_LEN]) -> Result<(), RegistryError> {
    check_encoding(key)?;
    if !ed25519::is_curve_point(key) {
        return Err(RegistryError::MalformedDeviceKey);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_y(y: [u8; KEY_LEN], sign: bool) -> [u8; KEY_LEN] {
        let mut key = y;
        if sign {
            key[KEY_LEN - 1] |= SIGN_BIT;
        }
        key
    }

    /// p + k for small k (no carry out of the first byte for k <= 18).
    fn p_plus(k: u8) -> [u8; KEY_LEN] {
        let mut y = FIELD_PRIME;
        y[0] += k;
        y
    }

    #[test]
    fn the_zero_key_keeps_its_original_error() {
        assert_eq!(
            check_encoding(&[0; KEY_LEN]),
            Err(RegistryError::InvalidDeviceKey)
        );
    }

    #[test]
    fn every_small_order_point_is_weak() {
        for point in &SMALL_ORDER_POINTS[1..] {
            assert_eq!(check_encoding(point), Err(RegistryError::WeakDeviceKey));
        }
    }

    #[test]
    fn y_from_p_to_the_top_is_malformed_with_either_sign() {
        for k in 0..=18 {
            for sign in [false, true] {
                let key = with_y(p_plus(k), sign);
                assert!(y_at_least_p(&key), "p + {k}");
                assert_eq!(
                    check_encoding(&key),
                    Err(RegistryError::MalformedDeviceKey),
                    "p + {k}, sign {sign}"
                );
            }
        }
        assert_eq!(
            check_encoding(&[0xff; KEY_LEN]),
            Err(RegistryError::MalformedDeviceKey)
        );
    }

    #[test]
    fn y_just_below_p_is_canonical() {
        let mut below = FIELD_PRIME;
        below[0] -= 1; // p - 1
        assert!(!y_at_least_p(&below));
        below[0] -= 1; // p - 2
        assert!(is_canonical(&below));
        assert!(is_canonical(&with_y(below, true)));
        // A lower byte above p's does not matter when a higher one is below it.
        let mut key = FIELD_PRIME;
        key[30] = 0xfe;
        key[0] = 0xff;
        assert!(!y_at_least_p(&key));
    }

    #[test]
    fn negative_zero_x_is_malformed() {
        // y = 1 and y = p - 1 with the sign bit: the identity and the order-2 point again.
        for y in [SMALL_ORDER_POINTS[2], SMALL_ORDER_POINTS[7]] {
            let key = with_y(y, true);
            assert!(is_negative_zero_x(&key));
            assert_eq!(check_encoding(&key), Err(RegistryError::MalformedDeviceKey));
        }
        // Other y with the sign bit are not "-0".
        assert!(!is_negative_zero_x(&with_y([2; KEY_LEN], true)));
    }

    #[test]
    fn ordinary_keys_pass_the_encoding_rules() {
        let mut key = [0x11u8; KEY_LEN];
        assert_eq!(check_encoding(&key), Ok(()));
        key[KEY_LEN - 1] |= SIGN_BIT;
        assert_eq!(check_encoding(&key), Ok(()));
    }
}
