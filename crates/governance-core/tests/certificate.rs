//! Unit tests of the certificate rules: every transition and every error.

use proptest::prelude::*;
use solgrid_governance_core::{
    certificate::{
        check_emission_factor, check_original, check_reason, check_retirement, check_text,
        co2_avoided_g, expiry, interval_start, issue, next_split, request_interval, revoke,
        split_volumes, Interval, Issued, MeterCounters, Revocation, Status, MAX_EMISSION_FACTOR,
    },
    CertificateError, MAX_TEXT_LEN,
};

use CertificateError::*;

const NOW: i64 = 1_700_000_000;
const EXPIRES: i64 = NOW + 3_600;
const ALL: [Status; 5] = [
    Status::Pending,
    Status::Valid,
    Status::Retired,
    Status::Revoked,
    Status::Expired,
];

#[test]
fn status_bytes_round_trip() {
    for (byte, status) in ALL.iter().enumerate() {
        assert_eq!(*status as u8, byte as u8);
        assert_eq!(Status::try_from(byte as u8), Ok(*status));
    }
    for byte in 5..=u8::MAX {
        assert_eq!(Status::try_from(byte), Err(InvalidStatus));
    }
    let finals: Vec<bool> = ALL.iter().map(|s| s.is_final()).collect();
    assert_eq!(finals, [false, false, true, true, true]);
}

/// Every status's outcome of every transition (before expiry, and at or after it).
#[test]
fn every_transition_from_every_status() {
    use Status::*;
    #[allow(clippy::type_complexity)]
    let table: [(Status, [Result<Status, CertificateError>; 5]); 5] = [
        // (from, [validate, transfer, retire, revoke, expire]) before the expiry
        (
            Pending,
            [
                Ok(Valid),
                Err(NotValidated),
                Err(NotValidated),
                Ok(Revoked),
                Err(NotValidated),
            ],
        ),
        (
            Valid,
            [
                Err(AlreadyValidated),
                Ok(Valid),
                Ok(Retired),
                Ok(Revoked),
                Err(NotYetExpired),
            ],
        ),
        (Retired, [Err(AlreadyRetired); 5]),
        (Revoked, [Err(CertificateRevoked); 5]),
        (Expired, [Err(CertificateExpired); 5]),
    ];
    for (from, [validate, transfer, retire, revoke, expire]) in table {
        assert_eq!(from.validate(), validate, "validate {from:?}");
        assert_eq!(from.transfer(NOW, EXPIRES), transfer, "transfer {from:?}");
        assert_eq!(from.split(NOW, EXPIRES), transfer, "split {from:?}");
        assert_eq!(from.retire(NOW, EXPIRES), retire, "retire {from:?}");
        assert_eq!(from.revoke(), revoke, "revoke {from:?}");
        assert_eq!(from.expire(NOW, EXPIRES), expire, "expire {from:?}");
    }
    // At and after the expiry a valid certificate can only expire (or be revoked).
    for now in [EXPIRES, EXPIRES + 1] {
        assert_eq!(Valid.transfer(now, EXPIRES), Err(CertificateExpired));
        assert_eq!(Valid.split(now, EXPIRES), Err(CertificateExpired));
        assert_eq!(Valid.retire(now, EXPIRES), Err(CertificateExpired));
        assert_eq!(Valid.expire(now, EXPIRES), Ok(Expired));
        assert_eq!(Valid.revoke(), Ok(Revoked));
        assert_eq!(Pending.expire(now, EXPIRES), Err(NotValidated));
    }
    // One second before: still usable.
    assert_eq!(Valid.retire(EXPIRES - 1, EXPIRES), Ok(Retired));
    assert_eq!(Valid.expire(EXPIRES - 1, EXPIRES), Err(NotYetExpired));
}

fn meter() -> MeterCounters {
    MeterCounters {
        renewable: true,
        certified_wh: 5_000,
        certificate_wh: 0,
        certificate_until: 0,
        first_window_start: NOW - 900,
        registered_at: NOW - 10_000,
        last_window_end: NOW,
    }
}

#[test]
fn interval_starts_at_the_last_certificate_then_first_window_then_registration() {
    assert_eq!(interval_start(30, 20, 10), 30);
    assert_eq!(interval_start(0, 20, 10), 20);
    assert_eq!(interval_start(0, 0, 10), 10);
    assert_eq!(interval_start(30, 0, 10), 30);
}

#[test]
fn request_certifies_what_no_certificate_covers() {
    let mut m = meter();
    assert_eq!(
        request_interval(&m),
        Ok(Interval {
            start: NOW - 900,
            end: NOW,
            volume_wh: 5_000
        })
    );
    assert_eq!(m.certify(), request_interval(&meter()));
    assert_eq!((m.certificate_wh, m.certificate_until), (5_000, NOW));
    // Nothing new: refused, nothing changes.
    let before = m;
    assert_eq!(m.certify(), Err(NothingToCertify));
    assert_eq!(m, before);
    // More readings: the next certificate starts where the last ended.
    m.certified_wh += 1_200;
    m.last_window_end = NOW + 1_800;
    assert_eq!(
        m.certify(),
        Ok(Interval {
            start: NOW,
            end: NOW + 1_800,
            volume_wh: 1_200
        })
    );
    assert_eq!(
        (m.certificate_wh, m.certificate_until),
        (6_200, NOW + 1_800)
    );
}

#[test]
fn request_of_a_meter_that_read_before_the_first_window_field_starts_at_registration() {
    let m = MeterCounters {
        first_window_start: 0,
        ..meter()
    };
    assert_eq!(request_interval(&m).map(|i| i.start), Ok(NOW - 10_000));
}

#[test]
fn request_refusals() {
    let non_renewable = MeterCounters {
        renewable: false,
        ..meter()
    };
    assert_eq!(request_interval(&non_renewable), Err(NotRenewable));
    let mut m = non_renewable;
    assert_eq!(m.certify(), Err(NotRenewable));
    assert_eq!(m, non_renewable);
    let nothing = MeterCounters {
        certified_wh: 0,
        ..meter()
    };
    assert_eq!(request_interval(&nothing), Err(NothingToCertify));
    let inconsistent = MeterCounters {
        certificate_wh: 5_001,
        ..meter()
    };
    assert_eq!(request_interval(&inconsistent), Err(Overflow));
    let backwards = MeterCounters {
        certified_wh: 6_000,
        certificate_wh: 5_000,
        certificate_until: NOW,
        ..meter()
    };
    assert_eq!(request_interval(&backwards), Err(InvalidInterval));
    let mut m = backwards;
    assert_eq!(m.certify(), Err(InvalidInterval));
    assert_eq!(m, backwards);
}

#[test]
fn co2_is_volume_times_factor_per_thousand_rounded_down() {
    assert_eq!(co2_avoided_g(0, 400), Some(0));
    assert_eq!(co2_avoided_g(1_000, 400), Some(400));
    assert_eq!(co2_avoided_g(5_000, 400), Some(2_000));
    assert_eq!(co2_avoided_g(1, 999), Some(0));
    assert_eq!(co2_avoided_g(1_001, 999), Some(999));
    assert_eq!(co2_avoided_g(2, 500), Some(1));
    assert_eq!(co2_avoided_g(123_456, 0), Some(0));
    assert_eq!(co2_avoided_g(u64::MAX, 1_000), Some(u64::MAX));
    assert_eq!(co2_avoided_g(u64::MAX, 1_001), None);
    assert_eq!(co2_avoided_g(u64::MAX, u32::MAX), None);
}

#[test]
fn emission_factor_bound() {
    assert_eq!(MAX_EMISSION_FACTOR, 2_000);
    assert_eq!(check_emission_factor(0), Ok(0));
    assert_eq!(check_emission_factor(2_000), Ok(2_000));
    assert_eq!(check_emission_factor(2_001), Err(InvalidEmissionFactor));
}

#[test]
fn issue_validates_a_pending_certificate() {
    assert_eq!(
        issue(Status::Pending, NOW, 3_600, 5_000, 400),
        Ok(Issued {
            status: Status::Valid,
            issued_at: NOW,
            expires_at: NOW + 3_600,
            co2_avoided_g: 2_000
        })
    );
    assert_eq!(
        issue(Status::Valid, NOW, 3_600, 5_000, 400),
        Err(AlreadyValidated)
    );
    assert_eq!(
        issue(Status::Retired, NOW, 3_600, 5_000, 400),
        Err(AlreadyRetired)
    );
    assert_eq!(
        issue(Status::Revoked, NOW, 3_600, 5_000, 400),
        Err(CertificateRevoked)
    );
    assert_eq!(
        issue(Status::Expired, NOW, 3_600, 5_000, 400),
        Err(CertificateExpired)
    );
    assert_eq!(
        issue(Status::Pending, NOW, 3_600, 5_000, 2_001),
        Err(InvalidEmissionFactor)
    );
    assert_eq!(
        issue(Status::Pending, i64::MAX - 1, 2, 5_000, 400),
        Err(Overflow)
    );
    assert_eq!(
        issue(Status::Pending, NOW, 3_600, u64::MAX, 2_000),
        Err(Overflow)
    );
    assert_eq!(expiry(NOW, 10), Some(NOW + 10));
    assert_eq!(expiry(i64::MAX, 1), None);
}

#[test]
fn split_conserves_volume_and_co2() {
    assert_eq!(split_volumes(5_000, 2_000, 1_000), Ok((4_000, 1_600, 400)));
    // The child's CO2 is rounded down, the parent keeps the remainder.
    assert_eq!(split_volumes(3, 10, 1), Ok((2, 7, 3)));
    assert_eq!(split_volumes(3, 10, 2), Ok((1, 4, 6)));
    assert_eq!(split_volumes(2, 0, 1), Ok((1, 0, 0)));
    // Beyond 32 bits the product is 128-bit.
    assert_eq!(
        split_volumes(u64::MAX, u64::MAX, u64::MAX - 1),
        Ok((1, 1, u64::MAX - 1))
    );
    assert_eq!(
        split_volumes(1 << 40, 1 << 40, 1 << 39),
        Ok((1 << 39, 1 << 39, 1 << 39))
    );
    for (volume, part) in [
        (5_000, 0),
        (5_000, 5_000),
        (5_000, 5_001),
        (1, 1),
        (0, 0),
        (0, 1),
    ] {
        assert_eq!(
            split_volumes(volume, 100, part),
            Err(InvalidSplitVolume),
            "{volume} {part}"
        );
    }
}

#[test]
fn split_count_is_bounded() {
    assert_eq!(next_split(0), Ok(1));
    assert_eq!(next_split(u16::MAX - 1), Ok(u16::MAX));
    assert_eq!(next_split(u16::MAX), Err(TooManySplits));
}

#[test]
fn texts_reasons_and_retirements() {
    let long = [b'a'; MAX_TEXT_LEN + 1];
    assert_eq!(MAX_TEXT_LEN, 64);
    assert_eq!(check_text(b""), Ok(()));
    assert_eq!(check_text(&long[..MAX_TEXT_LEN]), Ok(()));
    assert_eq!(check_text(&long), Err(TextTooLong));
    assert_eq!(check_text("Ünïcödé ☀".as_bytes()), Ok(()));
    assert_eq!(check_text(&[0xff, 0xfe]), Err(InvalidText));
    // A multi-byte character cut at the end is not UTF-8.
    assert_eq!(check_text(&"☀".as_bytes()[..2]), Err(InvalidText));

    assert_eq!(check_reason(b"double counting"), Ok(()));
    assert_eq!(check_reason(b""), Err(MissingReason));
    assert_eq!(check_reason(&long), Err(TextTooLong));
    assert_eq!(check_reason(&[0xc3]), Err(InvalidText));

    assert_eq!(
        check_retirement(b"Carol", b"household", NOW, NOW + 1),
        Ok(())
    );
    assert_eq!(check_retirement(b"", b"", NOW, NOW + 1), Ok(()));
    assert_eq!(
        check_retirement(b"Carol", b"household", NOW, NOW),
        Err(InvalidConsumptionPeriod)
    );
    assert_eq!(
        check_retirement(b"Carol", b"household", NOW, NOW - 1),
        Err(InvalidConsumptionPeriod)
    );
    assert_eq!(
        check_retirement(&long, b"household", NOW, NOW + 1),
        Err(TextTooLong)
    );
    assert_eq!(
        check_retirement(b"Carol", &long, NOW, NOW + 1),
        Err(TextTooLong)
    );
    assert_eq!(
        check_retirement(&[0xff], b"household", NOW, NOW + 1),
        Err(InvalidText)
    );
    assert_eq!(
        check_retirement(b"Carol", &[0xff], NOW, NOW + 1),
        Err(InvalidText)
    );
}

proptest! {
    #[test]
    fn co2_equals_the_exact_quotient(volume in any::<u64>(), factor in any::<u32>()) {
        let exact = volume as u128 * factor as u128 / 1000;
        prop_assert_eq!(co2_avoided_g(volume, factor), u64::try_from(exact).ok());
    }

    #[test]
    fn split_is_exact_for_any_amounts(
        volume in 2..=u64::MAX,
        co2 in prop_oneof![0..=u32::MAX as u64, any::<u64>()],
        part_seed in any::<u64>(),
    ) {
        let part = 1 + part_seed % (volume - 1);
        let (parent_volume, parent_co2, child_co2) = split_volumes(volume, co2, part).unwrap();
        prop_assert_eq!(parent_volume + part, volume);
        prop_assert_eq!(parent_co2 + child_co2, co2);
        prop_assert_eq!(child_co2 as u128, co2 as u128 * part as u128 / volume as u128);
    }
}

/// The text check's UTF-8 validation agrees with core's on every 1- and 2-byte sequence, and on
/// every lead and second byte followed by bytes at the edges of the continuation range.
#[test]
fn utf8_check_agrees_with_core() {
    use solgrid_governance_core::certificate::is_utf8;
    const EDGES: [u8; 12] = [
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xF4, 0xFF,
    ];
    assert!(is_utf8(b""));
    for a in 0..=u8::MAX {
        assert_eq!(is_utf8(&[a]), std::str::from_utf8(&[a]).is_ok(), "{a:#x}");
        for b in 0..=u8::MAX {
            assert_eq!(
                is_utf8(&[a, b]),
                std::str::from_utf8(&[a, b]).is_ok(),
                "{a:#x} {b:#x}"
            );
            for c in EDGES {
                let three = [a, b, c];
                assert_eq!(
                    is_utf8(&three),
                    std::str::from_utf8(&three).is_ok(),
                    "{three:x?}"
                );
                for d in EDGES {
                    let four = [a, b, c, d];
                    assert_eq!(
                        is_utf8(&four),
                        std::str::from_utf8(&four).is_ok(),
                        "{four:x?}"
                    );
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn utf8_check_agrees_with_core_on_random_texts(
        bytes in prop::collection::vec(
            prop_oneof![any::<u8>(), 0x80..=0xBFu8, 0xC0..=0xF5u8, Just(b'a')], 0..=70),
        text in "\\PC{0,20}",
    ) {
        use solgrid_governance_core::certificate::is_utf8;
        prop_assert_eq!(is_utf8(&bytes), std::str::from_utf8(&bytes).is_ok());
        prop_assert!(is_utf8(text.as_bytes()));
        // Cut anywhere: valid exactly when core says so.
        for cut in 0..=text.len() {
            let part = &text.as_bytes()[..cut];
            prop_assert_eq!(is_utf8(part), std::str::from_utf8(part).is_ok());
        }
    }
}

/// Revoking an original revokes its lineage whatever its status: Pending and Valid become Revoked,
/// Retired and Expired keep their status; a second revocation is refused.
#[test]
fn revoking_an_original_revokes_its_lineage_from_every_status() {
    use Status::*;
    let revoked = |status| {
        Ok(Revocation {
            status,
            lineage_revoked: true,
        })
    };
    for children in [0u16, 1, u16::MAX] {
        assert_eq!(revoke(Pending, true, false, children), revoked(Revoked));
        assert_eq!(revoke(Valid, true, false, children), revoked(Revoked));
        assert_eq!(revoke(Retired, true, false, children), revoked(Retired));
        assert_eq!(revoke(Expired, true, false, children), revoked(Expired));
        // Revoked already: by its status (with or without the flag, which older accounts lack) or
        // by its flag alone.
        assert_eq!(
            revoke(Revoked, true, false, children),
            Err(CertificateRevoked)
        );
        assert_eq!(
            revoke(Revoked, true, true, children),
            Err(CertificateRevoked)
        );
        for status in [Pending, Valid, Retired, Expired] {
            assert_eq!(
                revoke(status, true, true, children),
                Err(LineageAlreadyRevoked)
            );
        }
    }
}

/// A split child is revoked alone only while Pending or Valid and without children of its own; its
/// flag is never set.
#[test]
fn revoking_a_split_child() {
    use Status::*;
    let ok = Ok(Revocation {
        status: Revoked,
        lineage_revoked: false,
    });
    for flag in [false, true] {
        assert_eq!(revoke(Valid, false, flag, 0), ok);
        assert_eq!(revoke(Pending, false, flag, 0), ok);
        assert_eq!(revoke(Valid, false, flag, 1), Err(HasSplitChildren));
        assert_eq!(revoke(Valid, false, flag, u16::MAX), Err(HasSplitChildren));
        // A final status is that status's error, children or not.
        for children in [0u16, 3] {
            assert_eq!(revoke(Retired, false, flag, children), Err(AlreadyRetired));
            assert_eq!(
                revoke(Revoked, false, flag, children),
                Err(CertificateRevoked)
            );
            assert_eq!(
                revoke(Expired, false, flag, children),
                Err(CertificateExpired)
            );
        }
    }
}

/// A child's original stops it once the original's lineage is revoked, whatever the original's
/// status, and when the original is Revoked (accounts from before the flag).
#[test]
fn the_original_stops_its_descendants_once_its_lineage_is_revoked() {
    for status in ALL {
        assert_eq!(
            check_original(status, true),
            Err(OriginalRevoked),
            "{status:?}"
        );
        let expected = if status == Status::Revoked {
            Err(OriginalRevoked)
        } else {
            Ok(())
        };
        assert_eq!(check_original(status, false), expected, "{status:?}");
    }
}

/// The reviewer's sequence in the core's terms: the original retired with a child that has a child
/// of its own; revoking the child is refused, revoking the original is not, and the child is then
/// stopped.
#[test]
fn a_retired_original_with_grandchildren_can_be_revoked() {
    let child_has_children = 1;
    assert_eq!(
        revoke(Status::Valid, false, false, child_has_children),
        Err(HasSplitChildren)
    );
    let original = revoke(Status::Retired, true, false, 1).unwrap();
    assert_eq!(original.status, Status::Retired);
    assert_eq!(
        check_original(original.status, original.lineage_revoked),
        Err(OriginalRevoked)
    );
}
