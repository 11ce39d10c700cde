//! Anchor events: `sol_log_data` of one buffer holding `sha256("event:<Name>")[..8]` followed by the
//! event's borsh bytes. Clients (anchorpy's `EventParser`, the indexer) read them from the
//! `Program data: <base64>` log lines.

use crate::{discriminator, pod::Pod};

/// An event type: a [`Pod`] struct whose bytes are its borsh encoding.
pub trait Event: Pod {
    /// `sha256("event:<Name>")[..8]`.
    const DISCRIMINATOR: [u8; discriminator::LEN];
}

/// The discriminator and the event, contiguous, so that one slice is logged (Anchor logs one).
#[repr(C)]
pub struct Tagged<E: Event> {
    discriminator: [u8; discriminator::LEN],
    event: E,
}

// SAFETY: both fields have alignment 1, so `repr(C)` adds no padding, and both accept any bytes.
unsafe impl<E: Event> Pod for Tagged<E> {}

impl<E: Event> Tagged<E> {
    #[inline(always)]
    pub fn new(event: E) -> Self {
        Self {
            discriminator: E::DISCRIMINATOR,
            event,
        }
    }

    /// The bytes that are logged.
    #[inline(always)]
    pub fn as_bytes(&self) -> &[u8] {
        crate::pod::bytes_of(self)
    }
}

/// Logs `event` as an Anchor event.
#[inline(always)]
pub fn emit<E: Event>(event: E) {
    let tagged = Tagged::new(event);
    log_data(&[tagged.as_bytes()]);
}

/// `sol_log_data`: each slice is logged base64-encoded on one `Program data:` line.
#[inline(always)]
pub fn log_data(slices: &[&[u8]]) {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    // SAFETY: `&[u8]` has the (pointer, length) layout the syscall reads.
    unsafe {
        pinocchio::syscalls::sol_log_data(slices.as_ptr() as *const u8, slices.len() as u64);
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    core::hint::black_box(slices);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{impl_pod, pod::PodU64};

    #[repr(C)]
    struct Filled {
        amount: PodU64,
        side: u8,
    }
    impl_pod!(Filled {
        amount: PodU64,
        side: u8
    });
    impl Event for Filled {
        const DISCRIMINATOR: [u8; 8] = discriminator::event("Filled");
    }

    #[test]
    fn tagged_bytes_are_discriminator_then_borsh() {
        let tagged = Tagged::new(Filled {
            amount: PodU64::new(1500),
            side: 1,
        });
        let bytes = tagged.as_bytes();
        assert_eq!(bytes.len(), 17);
        assert_eq!(&bytes[..8], &discriminator::event("Filled"));
        assert_eq!(&bytes[8..16], &1500u64.to_le_bytes());
        assert_eq!(bytes[16], 1);
    }
}
