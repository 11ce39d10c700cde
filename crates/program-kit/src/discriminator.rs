//! Anchor discriminators: the first 8 bytes of `sha256("<namespace>:<name>")`.
//!
//! * instructions: `global:<snake_case_name>` (e.g. `global:register_user`);
//! * accounts: `account:<TypeName>` (e.g. `account:Config`);
//! * events: `event:<TypeName>`.
//!
//! The functions are `const`, so programs declare their discriminators as constants and pay nothing
//! at run time.

use sha2_const_stable::Sha256;

/// Length of every Anchor discriminator.
pub const LEN: usize = 8;

/// `sha256("<namespace>:<name>")[..8]`.
pub const fn sighash(namespace: &str, name: &str) -> [u8; LEN] {
    let digest = Sha256::new()
        .update(namespace.as_bytes())
        .update(b":")
        .update(name.as_bytes())
        .finalize();
    let mut out = [0u8; LEN];
    let mut i = 0;
    while i < LEN {
        out[i] = digest[i];
        i += 1;
    }
    out
}

/// Discriminator of the instruction `name` (snake_case, as in the IDL).
pub const fn instruction(name: &str) -> [u8; LEN] {
    sighash("global", name)
}

/// Discriminator of the account type `name` (PascalCase, as in the IDL).
pub const fn account(name: &str) -> [u8; LEN] {
    sighash("account", name)
}

/// Discriminator of the event type `name` (PascalCase, as in the IDL).
pub const fn event(name: &str) -> [u8; LEN] {
    sighash("event", name)
}

/// The discriminator as the little-endian `u64` the dispatcher matches on.
pub const fn as_u64(discriminator: [u8; LEN]) -> u64 {
    u64::from_le_bytes(discriminator)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values: `hashlib.sha256(b"global:initialize").digest()[:8]` and friends.
    #[test]
    fn matches_anchor_reference_values() {
        assert_eq!(
            instruction("initialize"),
            [0xaf, 0xaf, 0x6d, 0x1f, 0x0d, 0x98, 0x9b, 0xed]
        );
        assert_eq!(
            account("Offer"),
            [0xd7, 0x58, 0x3c, 0x47, 0xaa, 0xa2, 0x49, 0xe5]
        );
        assert_eq!(
            event("OfferFilled"),
            [0xad, 0x68, 0x5f, 0xa1, 0x90, 0xce, 0x48, 0x39]
        );
    }

    #[test]
    fn namespaces_differ() {
        assert_ne!(instruction("Config"), account("Config"));
        assert_ne!(account("Config"), event("Config"));
    }

    #[test]
    fn usable_in_const_context() {
        const D: u64 = as_u64(instruction("initialize"));
        assert_eq!(D.to_le_bytes(), instruction("initialize"));
    }
}
