//! Plain-old-data types for zero-copy layouts.
//!
//! Account data and instruction data have no alignment guarantee that a program may rely on, and
//! Anchor's borsh encoding packs fields without padding. A struct made only of alignment-1 fields
//! (`u8`, byte arrays, [`Address`] and the little-endian wrappers below) under `#[repr(C)]` has
//! exactly the borsh layout and can be viewed in place over those bytes.

use core::mem::{align_of, size_of};
use pinocchio::Address;

/// Types that can be viewed in place over raw bytes.
///
/// # Safety
///
/// Implementors must have alignment 1, no padding, and accept every bit pattern.
pub unsafe trait Pod: Sized {}

unsafe impl Pod for u8 {}
unsafe impl<const N: usize> Pod for [u8; N] {}
unsafe impl Pod for Address {}

/// Implements [`Pod`] for a `#[repr(C)]` struct after checking at compile time that it has
/// alignment 1 and that its size is the sum of its fields' sizes (so there is no padding).
#[macro_export]
macro_rules! impl_pod {
    ($ty:ty { $($field:ident : $field_ty:ty),* $(,)? }) => {
        const _: () = {
            assert!(::core::mem::align_of::<$ty>() == 1);
            assert!(::core::mem::size_of::<$ty>() == 0 $(+ ::core::mem::size_of::<$field_ty>())*);
        };
        unsafe impl $crate::pod::Pod for $ty {}
    };
}

macro_rules! pod_int {
    ($name:ident, $int:ty) => {
        #[doc = concat!("A little-endian `", stringify!($int), "` with alignment 1.")]
        #[repr(transparent)]
        #[derive(Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name(pub [u8; size_of::<$int>()]);

        impl $name {
            #[inline(always)]
            pub const fn new(value: $int) -> Self {
                Self(value.to_le_bytes())
            }

            #[inline(always)]
            pub const fn get(&self) -> $int {
                <$int>::from_le_bytes(self.0)
            }

            #[inline(always)]
            pub fn set(&mut self, value: $int) {
                self.0 = value.to_le_bytes();
            }
        }

        impl From<$int> for $name {
            fn from(value: $int) -> Self {
                Self::new(value)
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                self.get().fmt(f)
            }
        }

        unsafe impl Pod for $name {}
    };
}

pod_int!(PodU16, u16);
pod_int!(PodU32, u32);
pod_int!(PodU64, u64);
pod_int!(PodI64, i64);

const _: () = assert!(align_of::<PodU64>() == 1 && align_of::<Address>() == 1);

/// Views `bytes` as a `T`; `None` unless the length is exactly `size_of::<T>()`.
#[inline(always)]
pub fn from_bytes<T: Pod>(bytes: &[u8]) -> Option<&T> {
    if bytes.len() != size_of::<T>() {
        return None;
    }
    // SAFETY: `T: Pod` has alignment 1 and accepts any bytes; the length was checked.
    Some(unsafe { &*(bytes.as_ptr() as *const T) })
}

/// Views `bytes` as a mutable `T`; `None` unless the length is exactly `size_of::<T>()`.
#[inline(always)]
pub fn from_bytes_mut<T: Pod>(bytes: &mut [u8]) -> Option<&mut T> {
    if bytes.len() != size_of::<T>() {
        return None;
    }
    // SAFETY: as in `from_bytes`, and the borrow is unique.
    Some(unsafe { &mut *(bytes.as_mut_ptr() as *mut T) })
}

/// The bytes of a `T` (its borsh encoding, for the layouts this crate builds).
#[inline(always)]
pub fn bytes_of<T: Pod>(value: &T) -> &[u8] {
    // SAFETY: `T: Pod` has no padding, so all `size_of::<T>()` bytes are initialised.
    unsafe { core::slice::from_raw_parts(value as *const T as *const u8, size_of::<T>()) }
}

/// A `#[repr(u8)]` enum stored as one byte (a borsh enum's variant index), with `ALL` (every variant
/// in order) and a `TryFrom<u8>` that fails with the given error for any other byte. Used as
/// `byte_enum!(/// doc, Name, SomeError::Invalid, { A = 0, B = 1 })`.
#[macro_export]
macro_rules! byte_enum {
    ($(#[$doc:meta])* $name:ident, $error:expr, { $($variant:ident = $value:expr),* $(,)? }) => {
        $(#[$doc])*
        #[repr(u8)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant = $value),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
        }

        impl TryFrom<u8> for $name {
            type Error = $crate::__ProgramError;

            #[inline(always)]
            fn try_from(value: u8) -> Result<Self, $crate::__ProgramError> {
                match value {
                    $($value => Ok($name::$variant),)*
                    _ => Err($error.into()),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    struct Sample {
        a: u8,
        b: PodU64,
        c: PodI64,
        d: Address,
    }
    impl_pod!(Sample {
        a: u8,
        b: PodU64,
        c: PodI64,
        d: Address
    });

    #[test]
    fn ints_are_little_endian() {
        assert_eq!(PodU16::new(0x0102).0, [0x02, 0x01]);
        assert_eq!(PodI64::new(-2).get(), -2);
        let mut v = PodU32::default();
        v.set(7);
        assert_eq!(v.0, [7, 0, 0, 0]);
    }

    #[test]
    fn views_unaligned_bytes_in_place() {
        // Offset 1 into a buffer: deliberately misaligned for u64.
        let mut buf = [0u8; 1 + 49];
        buf[1] = 9;
        buf[2..10].copy_from_slice(&5u64.to_le_bytes());
        buf[10..18].copy_from_slice(&(-3i64).to_le_bytes());
        buf[18..50].copy_from_slice(&[4u8; 32]);
        let sample: &Sample = from_bytes(&buf[1..]).unwrap();
        assert_eq!((sample.a, sample.b.get(), sample.c.get()), (9, 5, -3));
        assert_eq!(sample.d, Address::new_from_array([4u8; 32]));
        assert_eq!(bytes_of(sample), &buf[1..]);
    }

    #[test]
    fn rejects_wrong_length() {
        let buf = [0u8; 50];
        assert!(from_bytes::<Sample>(&buf[..48]).is_none());
        assert!(from_bytes::<Sample>(&buf).is_none());
    }

    #[test]
    fn writes_through_mutable_view() {
        let mut buf = [0u8; 49];
        from_bytes_mut::<Sample>(&mut buf).unwrap().b.set(u64::MAX);
        assert_eq!(&buf[1..9], &[0xff; 8]);
    }
}
