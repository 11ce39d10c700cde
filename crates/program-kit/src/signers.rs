//! Multi-signer checks: how many distinct members of a configured set signed the transaction.
//!
//! Privileged actions of SolGrid programs need M distinct configured signers (an M-of-N threshold).
//! The co-signers are passed as trailing accounts; [`distinct_signers`] counts each configured
//! member at most once however often it appears, and ignores accounts that are not members or did
//! not sign, so padding the list with duplicates or strangers never reaches the threshold.

use pinocchio::{address::address_eq, AccountView, Address};

/// Number of members of `members` that appear as signers among `accounts`.
#[inline(always)]
pub fn distinct_signers(members: &[Address], accounts: &[AccountView]) -> usize {
    members
        .iter()
        .filter(|member| {
            accounts
                .iter()
                .any(|account| account.is_signer() && address_eq(account.address(), member))
        })
        .count()
}

/// Whether `account` signed and its address is one of `members`.
#[inline(always)]
pub fn is_member_signer(members: &[Address], account: &AccountView) -> bool {
    account.is_signer() && members.iter().any(|m| address_eq(account.address(), m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeAccount;

    const OWNER: Address = Address::new_from_array([7u8; 32]);

    fn account(byte: u8, signer: bool) -> FakeAccount {
        let mut acc = FakeAccount::new([byte; 32], OWNER, 0);
        acc.signer = signer;
        acc
    }

    #[test]
    fn counts_each_member_once() {
        let members = [
            Address::new_from_array([1; 32]),
            Address::new_from_array([2; 32]),
            Address::new_from_array([3; 32]),
        ];
        let mut a = account(1, true);
        let mut b = account(2, true);
        let mut c = account(3, false);
        let mut stranger = account(9, true);
        let views = [a.view(), a.view(), stranger.view(), c.view()];
        assert_eq!(distinct_signers(&members, &views), 1);
        let views = [a.view(), b.view(), a.view()];
        assert_eq!(distinct_signers(&members, &views), 2);
        assert_eq!(distinct_signers(&members, &[]), 0);
        assert!(is_member_signer(&members, &b.view()));
        assert!(!is_member_signer(&members, &c.view()));
        assert!(!is_member_signer(&members, &stranger.view()));
    }
}
