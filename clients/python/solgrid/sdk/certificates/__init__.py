"""SDK of renewable-energy certificates (the governance program's second half): instructions and reads
(:mod:`.client`), the account (:mod:`.accounts`), what a request certifies (:mod:`.certifiable`) and
events (:mod:`.events`)."""

from solgrid.sdk.certificates.accounts import Certificate, CertificateStatus, Retirement
from solgrid.sdk.certificates.certifiable import (
    RENEWABLE_SOURCES,
    Certifiable,
    NothingToCertify,
    NotRenewable,
    certifiable,
    interval_start,
)
from solgrid.sdk.certificates.client import CertificatesClient, Request
from solgrid.sdk.certificates.events import (
    CertificateEvent,
    CertificateExpired,
    CertificateRequested,
    CertificateRetired,
    CertificateRevoked,
    CertificateSplit,
    CertificateTransferred,
    CertificateValidated,
)

__all__ = [
    "RENEWABLE_SOURCES",
    "Certifiable",
    "Certificate",
    "CertificateEvent",
    "CertificateExpired",
    "CertificateRequested",
    "CertificateRetired",
    "CertificateRevoked",
    "CertificateSplit",
    "CertificateStatus",
    "CertificateTransferred",
    "CertificateValidated",
    "CertificatesClient",
    "NotRenewable",
    "NothingToCertify",
    "Request",
    "Retirement",
    "certifiable",
    "interval_start",
]
