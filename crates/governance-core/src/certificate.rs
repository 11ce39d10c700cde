//! Renewable-energy certificates (ERC): the status state machine, the generation interval a
//! meter's counters allow, splits and the carbon arithmetic.
//!
//! Lifecycle: `Pending` (requested by the meter's owner) → `Valid` (a regulator validated it) →
//! `Retired` (claimed for a beneficiary), `Revoked` (by quorum, from `Pending` or `Valid`) or
//! `Expired` (anyone cranks it at or after `expires_at`). The last three are final; a quorum may still
//! revoke the lineage of a Retired or Expired original (its status stays, its parts become unusable). A valid
//! certificate past its expiry can no longer be transferred, split or retired even before it is
//! cranked.
//!
//! Request: the registry keeps per meter `certified_wh` (renewable production accepted through
//! device-signed readings), `certificate_wh` (what certificates cover) and `certificate_until` (the
//! end of the last certified window). A request certifies `certified_wh - certificate_wh` over
//! the interval from the previous certificate's end (or the meter's first window, or its
//! registration) to its last accepted window, and moves both counters up to date, so certified
//! volume never exceeds renewable production and no window is certified twice.
//!
//! Revocation reaches a requested certificate's whole lineage: revoking an original ([`revoke`])
//! sets its `lineage_revoked` flag whatever its status (Pending or Valid become Revoked; a Retired
//! or Expired original keeps its status), and every certificate split from it, however far down,
//! is refused from then on ([`check_original`]). A split child is revoked alone only while it has no
//! children of its own, so nothing usable ever descends from a revoked certificate.
//!
//! Splits keep the volume and the CO2 exactly: the child gets `part` Wh and
//! `floor(co2 * part / volume)` g, the parent keeps the rest of both.

use crate::{error::CertificateError, MAX_TEXT_LEN};

/// Highest zone emission factor, g CO2 per kWh (coal is about 1,000).
pub const MAX_EMISSION_FACTOR: u32 = 2_000;

/// A certificate's status.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pending = 0,
    Valid = 1,
    Retired = 2,
    Revoked = 3,
    Expired = 4,
}

impl TryFrom<u8> for Status {
    type Error = CertificateError;

    #[inline(always)]
    fn try_from(value: u8) -> Result<Self, CertificateError> {
        match value {
            0 => Ok(Status::Pending),
            1 => Ok(Status::Valid),
            2 => Ok(Status::Retired),
            3 => Ok(Status::Revoked),
            4 => Ok(Status::Expired),
            _ => Err(CertificateError::InvalidStatus),
        }
    }
}

impl Status {
    /// Retired, revoked or expired: the status never changes again.
    #[inline(always)]
    pub const fn is_final(self) -> bool {
        matches!(self, Status::Retired | Status::Revoked | Status::Expired)
    }

    /// Pending → Valid (a regulator validated it against the meter's data).
    #[inline(always)]
    pub fn validate(self) -> Result<Status, CertificateError> {
        match self {
            Status::Pending => Ok(Status::Valid),
            Status::Valid => Err(CertificateError::AlreadyValidated),
            other => Err(final_error(other)),
        }
    }

    /// Valid and not expired → Valid (whole transfer to a new owner).
    #[inline(always)]
    pub fn transfer(self, now: i64, expires_at: i64) -> Result<Status, CertificateError> {
        usable(self, now, expires_at).map(|()| Status::Valid)
    }

    /// Valid and not expired → Valid (the parent of a split stays valid with the rest).
    #[inline(always)]
    pub fn split(self, now: i64, expires_at: i64) -> Result<Status, CertificateError> {
        usable(self, now, expires_at).map(|()| Status::Valid)
    }

    /// Valid and not expired → Retired.
    #[inline(always)]
    pub fn retire(self, now: i64, expires_at: i64) -> Result<Status, CertificateError> {
        usable(self, now, expires_at).map(|()| Status::Retired)
    }

    /// Pending or Valid → Revoked (a valid certificate past its expiry that nobody cranked yet is
    /// revoked too).
    #[inline(always)]
    pub fn revoke(self) -> Result<Status, CertificateError> {
        match self {
            Status::Pending | Status::Valid => Ok(Status::Revoked),
            other => Err(final_error(other)),
        }
    }

    /// Valid at or after `expires_at` → Expired.
    #[inline(always)]
    pub fn expire(self, now: i64, expires_at: i64) -> Result<Status, CertificateError> {
        match self {
            Status::Valid if now >= expires_at => Ok(Status::Expired),
            Status::Valid => Err(CertificateError::NotYetExpired),
            Status::Pending => Err(CertificateError::NotValidated),
            other => Err(final_error(other)),
        }
    }
}

/// The error for acting on a certificate in a final status (or, for `Pending`/`Valid`, the error of
/// the status itself not being the one needed).
#[inline(always)]
const fn final_error(status: Status) -> CertificateError {
    match status {
        Status::Pending => CertificateError::NotValidated,
        Status::Valid => CertificateError::AlreadyValidated,
        Status::Retired => CertificateError::AlreadyRetired,
        Status::Revoked => CertificateError::CertificateRevoked,
        Status::Expired => CertificateError::CertificateExpired,
    }
}

/// Valid and before its expiry.
#[inline(always)]
fn usable(status: Status, now: i64, expires_at: i64) -> Result<(), CertificateError> {
    match status {
        Status::Valid if now >= expires_at => Err(CertificateError::CertificateExpired),
        Status::Valid => Ok(()),
        other => Err(final_error(other)),
    }
}

/// What a revocation leaves on the certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// Revoked for a Pending or Valid certificate; a Retired or Expired original keeps its status.
    pub status: Status,
    /// The original's `lineage_revoked` flag after it (always `false` for a split child, whose flag
    /// means nothing).
    pub lineage_revoked: bool,
}

/// Revokes a certificate in `status`. `is_original`: it is a requested certificate (its `original`
/// is itself); `lineage_revoked`: its flag (an original's); `split_count`: children split off it.
///
/// - An original: Pending or Valid → Revoked, Retired or Expired → unchanged; in every case its
///   lineage is revoked, so every certificate split from it is refused from then on
///   ([`check_original`]). A Revoked original (`CertificateRevoked`) or one whose lineage is revoked
///   already (`LineageAlreadyRevoked`) is refused.
/// - A split child: Pending or Valid → Revoked (the final statuses' errors otherwise), and only while
///   it has no children of its own (`HasSplitChildren`: revoke its original, which always works).
#[inline(always)]
pub fn revoke(
    status: Status,
    is_original: bool,
    lineage_revoked: bool,
    split_count: u16,
) -> Result<Revocation, CertificateError> {
    if !is_original {
        let status = status.revoke()?;
        if split_count != 0 {
            return Err(CertificateError::HasSplitChildren);
        }
        return Ok(Revocation {
            status,
            lineage_revoked: false,
        });
    }
    let status = match status {
        Status::Revoked => return Err(CertificateError::CertificateRevoked),
        _ if lineage_revoked => return Err(CertificateError::LineageAlreadyRevoked),
        Status::Pending | Status::Valid => Status::Revoked,
        Status::Retired | Status::Expired => status,
    };
    Ok(Revocation {
        status,
        lineage_revoked: true,
    })
}

/// The standing of the original a split child's volume came from, for the child's transfer, split
/// and retirement: refused (`OriginalRevoked`) once the original's lineage is revoked, whatever the
/// original's own status, or when the original is Revoked (an original revoked before the flag
/// existed has only its status).
#[inline(always)]
pub fn check_original(
    original_status: Status,
    lineage_revoked: bool,
) -> Result<(), CertificateError> {
    if lineage_revoked || original_status == Status::Revoked {
        Err(CertificateError::OriginalRevoked)
    } else {
        Ok(())
    }
}

/// The registry's per-meter counters that requests read and move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeterCounters {
    /// The meter's energy source is renewable (solar, wind, hydro).
    pub renewable: bool,
    /// Renewable production accepted through device-signed readings, Wh.
    pub certified_wh: u64,
    /// Renewable Wh covered by certificates (never above `certified_wh`).
    pub certificate_wh: u64,
    /// End of the last window covered by a certificate (0 = none yet).
    pub certificate_until: i64,
    /// Start of the meter's first accepted window (0 = unknown: readings before the field existed).
    pub first_window_start: i64,
    pub registered_at: i64,
    /// End of the meter's last accepted reading window.
    pub last_window_end: i64,
}

/// A generation interval `[start, end)` and the Wh certified over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: i64,
    pub end: i64,
    pub volume_wh: u64,
}

/// Where the next certificate's generation interval starts: the end of the previous certificate,
/// or the meter's first accepted window when it has none, or its registration when that is unknown.
/// (The governance program derives the certificate's address from it before the request.)
#[inline(always)]
pub const fn interval_start(
    certificate_until: i64,
    first_window_start: i64,
    registered_at: i64,
) -> i64 {
    if certificate_until != 0 {
        certificate_until
    } else if first_window_start != 0 {
        first_window_start
    } else {
        registered_at
    }
}

/// The interval and volume a request for `meter` certifies now: renewable only (`NotRenewable`),
/// volume `certified_wh - certificate_wh` (`NothingToCertify` when 0), from [`interval_start`] to
/// `last_window_end` (`InvalidInterval` unless it ends after it starts).
#[inline(always)]
pub fn request_interval(meter: &MeterCounters) -> Result<Interval, CertificateError> {
    if !meter.renewable {
        return Err(CertificateError::NotRenewable);
    }
    let volume_wh = meter
        .certified_wh
        .checked_sub(meter.certificate_wh)
        .ok_or(CertificateError::Overflow)?;
    if volume_wh == 0 {
        return Err(CertificateError::NothingToCertify);
    }
    let start = interval_start(
        meter.certificate_until,
        meter.first_window_start,
        meter.registered_at,
    );
    let end = meter.last_window_end;
    if end <= start {
        return Err(CertificateError::InvalidInterval);
    }
    Ok(Interval {
        start,
        end,
        volume_wh,
    })
}

impl MeterCounters {
    /// A request (the registry's `certify_meter`): [`request_interval`], then
    /// `certificate_wh = certified_wh` and `certificate_until = last_window_end`. On an error
    /// nothing changes.
    #[inline(always)]
    pub fn certify(&mut self) -> Result<Interval, CertificateError> {
        let interval = request_interval(self)?;
        self.certificate_wh = self.certified_wh;
        self.certificate_until = interval.end;
        Ok(interval)
    }
}

/// The CO2 a volume avoided: `floor(volume_wh * g_per_kwh / 1000)` grams, exact for every
/// `volume_wh` (computed as `(volume / 1000) * factor + (volume % 1000) * factor / 1000`); `None`
/// when the result does not fit in 64 bits.
#[inline(always)]
pub fn co2_avoided_g(volume_wh: u64, g_per_kwh: u32) -> Option<u64> {
    let factor = g_per_kwh as u64;
    let whole = (volume_wh / 1000).checked_mul(factor)?;
    // (volume % 1000) * factor < 1000 * 2^32: no overflow.
    whole.checked_add((volume_wh % 1000) * factor / 1000)
}

/// A zone's emission factor: at most [`MAX_EMISSION_FACTOR`] g CO2 per kWh. 0 means not set: the
/// program refuses to validate a certificate of a zone whose factor is 0 (`EmissionFactorNotSet`),
/// so a zone's factor must be set before its certificates can be validated.
#[inline(always)]
pub fn check_emission_factor(g_per_kwh: u32) -> Result<u32, CertificateError> {
    if g_per_kwh > MAX_EMISSION_FACTOR {
        Err(CertificateError::InvalidEmissionFactor)
    } else {
        Ok(g_per_kwh)
    }
}

/// When a certificate validated at `now` expires.
#[inline(always)]
pub fn expiry(now: i64, validity_secs: u32) -> Option<i64> {
    now.checked_add(validity_secs as i64)
}

/// What validation writes to a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issued {
    /// Always `Valid`.
    pub status: Status,
    pub issued_at: i64,
    pub expires_at: i64,
    pub co2_avoided_g: u64,
}

/// A regulator validates a certificate of `volume_wh` at `now` in a zone whose emission factor is
/// `g_per_kwh`: Pending → Valid, issued now, expiring after `validity_secs`, with the CO2 its
/// volume avoided.
#[inline(always)]
pub fn issue(
    status: Status,
    now: i64,
    validity_secs: u32,
    volume_wh: u64,
    g_per_kwh: u32,
) -> Result<Issued, CertificateError> {
    let status = status.validate()?;
    let g_per_kwh = check_emission_factor(g_per_kwh)?;
    let expires_at = expiry(now, validity_secs).ok_or(CertificateError::Overflow)?;
    let co2_avoided_g = co2_avoided_g(volume_wh, g_per_kwh).ok_or(CertificateError::Overflow)?;
    Ok(Issued {
        status,
        issued_at: now,
        expires_at,
        co2_avoided_g,
    })
}

/// Splits `part` Wh off a certificate of `parent_volume` Wh that avoided `parent_co2` g:
/// `0 < part < parent_volume` (`InvalidSplitVolume`). Returns `(parent_volume, parent_co2,
/// child_co2)` after the split: the parent keeps `parent_volume - part` Wh and
/// `parent_co2 - child_co2` g, the child gets `part` Wh and
/// `child_co2 = floor(parent_co2 * part / parent_volume)` g, so both sums are unchanged.
#[inline(always)]
pub fn split_volumes(
    parent_volume: u64,
    parent_co2: u64,
    part: u64,
) -> Result<(u64, u64, u64), CertificateError> {
    if part == 0 || part >= parent_volume {
        return Err(CertificateError::InvalidSplitVolume);
    }
    // Small factors (the usual case) stay in 64 bits; 128-bit division is software on BPF.
    let child_co2 = if (parent_co2 | part) >> 32 == 0 {
        parent_co2 * part / parent_volume
    } else {
        // < parent_co2 because part < parent_volume: fits in 64 bits.
        (parent_co2 as u128 * part as u128 / parent_volume as u128) as u64
    };
    // child_co2 <= parent_co2 (part < parent_volume), which the compiler cannot see: checked, so
    // that no panic path is left.
    let rest_co2 = parent_co2
        .checked_sub(child_co2)
        .ok_or(CertificateError::Overflow)?;
    Ok((parent_volume - part, rest_co2, child_co2))
}

/// The parent's `split_count` after one more split (the child's index is the count before it).
#[inline(always)]
pub fn next_split(split_count: u16) -> Result<u16, CertificateError> {
    split_count
        .checked_add(1)
        .ok_or(CertificateError::TooManySplits)
}

/// A text field's bytes: at most [`MAX_TEXT_LEN`] bytes of UTF-8.
#[inline(always)]
pub fn check_text(text: &[u8]) -> Result<(), CertificateError> {
    if text.len() > MAX_TEXT_LEN {
        return Err(CertificateError::TextTooLong);
    }
    if is_utf8(text) {
        Ok(())
    } else {
        Err(CertificateError::InvalidText)
    }
}

/// Whether `bytes` are UTF-8 (as `core::str::from_utf8` decides: no overlong forms, no surrogates,
/// nothing above U+10FFFF), without the panic paths core's overflow-checked validator brings in.
pub fn is_utf8(bytes: &[u8]) -> bool {
    let mut i = 0usize;
    while let Some(&lead) = bytes.get(i) {
        // The range of the second byte depends on the lead; later ones are always 80..=BF.
        let (width, low, high) = match lead {
            0x00..=0x7F => {
                i = i.wrapping_add(1); // i < bytes.len()
                continue;
            }
            0xC2..=0xDF => (2, 0x80, 0xBF),
            0xE0 => (3, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
            0xED => (3, 0x80, 0x9F),
            0xF0 => (4, 0x90, 0xBF),
            0xF1..=0xF3 => (4, 0x80, 0xBF),
            0xF4 => (4, 0x80, 0x8F),
            _ => return false,
        };
        match bytes.get(i.wrapping_add(1)) {
            Some(&b) if (low..=high).contains(&b) => {}
            _ => return false,
        }
        for k in 2..width {
            match bytes.get(i.wrapping_add(k)) {
                Some(&b) if (0x80..=0xBF).contains(&b) => {}
                _ => return false,
            }
        }
        i = i.wrapping_add(width); // every byte up to i + width exists
    }
    true
}

/// A revocation's reason: not empty, and a valid text field.
#[inline(always)]
pub fn check_reason(reason: &[u8]) -> Result<(), CertificateError> {
    if reason.is_empty() {
        return Err(CertificateError::MissingReason);
    }
    check_text(reason)
}

/// A retirement's arguments: the beneficiary's name and the purpose are text fields (either may be
/// empty), and the consumption period ends after it starts.
#[inline(always)]
pub fn check_retirement(
    beneficiary_name: &[u8],
    purpose: &[u8],
    consumption_start: i64,
    consumption_end: i64,
) -> Result<(), CertificateError> {
    check_text(beneficiary_name)?;
    check_text(purpose)?;
    if consumption_start >= consumption_end {
        return Err(CertificateError::InvalidConsumptionPeriod);
    }
    Ok(())
}
