//! The device-key rules of `registry::device_key`, checked against curve25519-dalek:
//! (a) `SMALL_ORDER_POINTS` is exactly the curve's torsion subgroup, derived here from random points
//!     (the torsion component `[l]Q` of a point Q, l the prime order of the base point), not copied
//!     from a constant;
//! (b) every encoding that decompresses to a small-order point (canonical or not) is refused;
//! (c) for any 32 bytes, `check_device_key` gives what a reference built from dalek's decompression
//!     gives: `InvalidDeviceKey` for all zeroes, `MalformedDeviceKey` when the bytes do not
//!     decompress or are not the point's canonical (re-compressed) encoding, `WeakDeviceKey` for a
//!     small-order point, otherwise accepted;
//! (d) keys of large-order points are accepted whatever their x sign; a y >= p is always refused.

use std::collections::BTreeSet;

use curve25519_dalek::{
    constants::ED25519_BASEPOINT_POINT,
    edwards::{CompressedEdwardsY, EdwardsPoint},
    scalar::Scalar,
    traits::Identity,
};
use proptest::prelude::*;
use registry::{
    device_key::{check_device_key, check_encoding, FIELD_PRIME, SMALL_ORDER_POINTS},
    errors::RegistryError,
};

/// The reference verdict, from decompression and re-compression alone.
fn reference(key: &[u8; 32]) -> Result<(), RegistryError> {
    if *key == [0; 32] {
        return Err(RegistryError::InvalidDeviceKey);
    }
    let Some(point) = CompressedEdwardsY(*key).decompress() else {
        return Err(RegistryError::MalformedDeviceKey);
    };
    if point.compress().to_bytes() != *key {
        return Err(RegistryError::MalformedDeviceKey);
    }
    if point.is_small_order() {
        return Err(RegistryError::WeakDeviceKey);
    }
    Ok(())
}

/// `[l]Q`: `(l - 1)Q + Q`, since `l` itself reduces to 0 as a Scalar.
fn torsion_component(q: &EdwardsPoint) -> EdwardsPoint {
    -Scalar::ONE * q + q
}

/// The order of a point of the torsion subgroup (1, 2, 4 or 8).
fn order(point: &EdwardsPoint) -> u32 {
    let mut multiple = *point;
    let mut n = 1;
    while multiple != EdwardsPoint::identity() {
        multiple += point;
        n += 1;
        assert!(n <= 8, "not a torsion point");
    }
    n
}

fn torsion_points() -> BTreeSet<[u8; 32]> {
    let mut found = BTreeSet::new();
    // Hash-like walk over candidate encodings: about half decompress, and the torsion component of
    // a random point is uniform over the 8 torsion points.
    let mut seed = [7u8; 32];
    for i in 0..10_000u32 {
        seed[..4].copy_from_slice(&i.to_le_bytes());
        seed[31] &= 0x7f;
        if let Some(q) = CompressedEdwardsY(seed).decompress() {
            found.insert(torsion_component(&q).compress().to_bytes());
        }
        if found.len() == 8 {
            break;
        }
    }
    found
}

#[test]
fn the_table_is_the_torsion_subgroup() {
    let derived = torsion_points();
    assert_eq!(derived.len(), 8);
    let table: BTreeSet<[u8; 32]> = SMALL_ORDER_POINTS.iter().copied().collect();
    assert_eq!(table.len(), 8, "duplicate entries");
    assert_eq!(table, derived);
    let mut orders: Vec<u32> = SMALL_ORDER_POINTS
        .iter()
        .map(|bytes| {
            let point = CompressedEdwardsY(*bytes).decompress().unwrap();
            assert!(point.is_small_order());
            assert_eq!(point.compress().to_bytes(), *bytes, "not canonical");
            order(&point)
        })
        .collect();
    orders.sort();
    // One identity, one point of order 2, two of order 4, four of order 8.
    assert_eq!(orders, [1, 2, 4, 4, 8, 8, 8, 8]);
}

/// 32-byte little-endian `y + k * p` with the sign bit, or None when it does not fit in 255 bits.
fn encoding(y: &[u8; 32], add_p: bool, sign: bool) -> Option<[u8; 32]> {
    let mut out = *y;
    if add_p {
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = out[i] as u16 + FIELD_PRIME[i] as u16 + carry;
            out[i] = sum as u8;
            carry = sum >> 8;
        }
        if carry != 0 || out[31] & 0x80 != 0 {
            return None;
        }
    }
    if sign {
        out[31] |= 0x80;
    }
    Some(out)
}

#[test]
fn every_encoding_of_a_small_order_point_is_refused() {
    // Candidates: each small-order y and y + p (when below 2^255), with either sign bit; kept when
    // dalek decompresses them to a small-order point.
    let mut encodings = BTreeSet::new();
    for point in SMALL_ORDER_POINTS {
        let mut y = point;
        y[31] &= 0x7f;
        for add_p in [false, true] {
            for sign in [false, true] {
                if let Some(key) = encoding(&y, add_p, sign) {
                    if CompressedEdwardsY(key)
                        .decompress()
                        .is_some_and(|p| p.is_small_order())
                    {
                        encodings.insert(key);
                    }
                }
            }
        }
    }
    // The 8 canonical ones; x = 0 with the sign bit (y = 1, y = p - 1); y = p and y = p + 1 with
    // either sign.
    assert_eq!(encodings.len(), 14);
    for key in encodings {
        let verdict = check_device_key(&key);
        assert!(verdict.is_err(), "{key:02x?} accepted");
        assert_eq!(verdict, reference(&key), "{key:02x?}");
    }
}

#[test]
fn every_y_from_p_up_and_near_the_bounds_matches_the_reference() {
    // y in [0, 40) and [p - 40, 2^255), with both signs: every non-canonical y and the x = 0 points.
    let mut keys = Vec::new();
    for k in 0u8..40 {
        let mut low = [0u8; 32];
        low[0] = k;
        keys.push(low);
        let mut high = [0xffu8; 32];
        high[31] = 0x7f;
        high[0] = 0xff - k;
        keys.push(high);
    }
    for key in keys {
        for sign in [false, true] {
            let mut key = key;
            if sign {
                key[31] |= 0x80;
            }
            assert_eq!(check_device_key(&key), reference(&key), "{key:02x?}");
        }
    }
}

#[test]
fn the_base_point_and_its_negation_are_accepted() {
    let base = ED25519_BASEPOINT_POINT.compress().to_bytes();
    assert_eq!(check_device_key(&base), Ok(()));
    assert_eq!(
        check_device_key(&(-ED25519_BASEPOINT_POINT).compress().to_bytes()),
        Ok(())
    );
}

fn scalar() -> impl Strategy<Value = Scalar> {
    any::<[u8; 32]>().prop_map(|bytes| Scalar::from_bytes_mod_order(bytes))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn any_bytes_match_the_reference(key in any::<[u8; 32]>()) {
        prop_assert_eq!(check_device_key(&key), reference(&key));
    }
}

proptest! {
    // A variable-base scalar multiplication per case: slow in a debug build.
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A point with a large-order component, plus any torsion component: canonical, either x sign;
    /// accepted unless it is small-order (the scalar is 0 mod l).
    #[test]
    fn large_order_points_are_accepted(s in scalar(), torsion in 0usize..8) {
        let torsion = CompressedEdwardsY(SMALL_ORDER_POINTS[torsion]).decompress().unwrap();
        let point = s * ED25519_BASEPOINT_POINT + torsion;
        let key = point.compress().to_bytes();
        if point.is_small_order() {
            prop_assert_eq!(check_device_key(&key), Err(RegistryError::WeakDeviceKey));
        } else {
            prop_assert_eq!(check_device_key(&key), Ok(()));
            prop_assert_eq!(check_device_key(&(-point).compress().to_bytes()), Ok(()));
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// y >= p (19 values below 2^255) is refused with any sign bit, before any curve arithmetic.
    #[test]
    fn y_at_least_p_is_always_refused(k in 0u8..19, sign in any::<bool>()) {
        let mut key = FIELD_PRIME;
        key[0] += k;
        if sign {
            key[31] |= 0x80;
        }
        prop_assert!(check_encoding(&key).is_err());
        prop_assert!(check_device_key(&key).is_err());
        prop_assert_eq!(check_device_key(&key), reference(&key));
    }

    /// Random bytes whose high bytes are p's (0xff...0x7f or with the sign bit): the boundary of the
    /// comparison with p.
    #[test]
    fn keys_near_p_match_the_reference(low in any::<[u8; 2]>(), sign in any::<bool>()) {
        let mut key = [0xffu8; 32];
        key[31] = if sign { 0xff } else { 0x7f };
        key[0] = low[0];
        key[1] = low[1];
        prop_assert_eq!(check_device_key(&key), reference(&key));
    }
}
