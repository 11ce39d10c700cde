//! Host-side stand-ins for runtime accounts, for unit tests.

use pinocchio::{
    account::{RuntimeAccount, NOT_BORROWED},
    AccountView, Address,
};
use std::{mem::size_of, vec, vec::Vec};

/// An account laid out as the runtime serialises it (header, then data), with flags the test sets.
pub struct FakeAccount {
    pub address: [u8; 32],
    pub owner: Address,
    pub lamports: u64,
    pub signer: bool,
    pub writable: bool,
    data_len: usize,
    /// `u64` words keep the header 8-byte aligned, as in the runtime's input region.
    buf: Vec<u64>,
}

impl FakeAccount {
    pub fn new(address: [u8; 32], owner: Address, data_len: usize) -> Self {
        let words = (size_of::<RuntimeAccount>() + data_len).div_ceil(8);
        Self {
            address,
            owner,
            lamports: 0,
            signer: false,
            writable: false,
            data_len,
            buf: vec![0; words],
        }
    }

    /// A view of the account with the current flags; data written through it persists.
    pub fn view(&mut self) -> AccountView {
        let raw = self.buf.as_mut_ptr() as *mut RuntimeAccount;
        // SAFETY: `buf` is large enough and aligned for the header, which is plain data.
        unsafe {
            (*raw).borrow_state = NOT_BORROWED;
            (*raw).is_signer = self.signer as u8;
            (*raw).is_writable = self.writable as u8;
            (*raw).executable = 0;
            (*raw).address = Address::new_from_array(self.address);
            (*raw).owner = self.owner;
            (*raw).lamports = self.lamports;
            (*raw).data_len = self.data_len as u64;
            AccountView::new_unchecked(raw)
        }
    }

    pub fn data(&self) -> &[u8] {
        // SAFETY: the data follows the header inside `buf`.
        unsafe {
            core::slice::from_raw_parts(
                (self.buf.as_ptr() as *const u8).add(size_of::<RuntimeAccount>()),
                self.data_len,
            )
        }
    }
}
