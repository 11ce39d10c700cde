"""The event fields that name a wallet or a User account: what the feed's ``user`` topic matches an event
on, and the API's audit log filters its ``owner`` on (one list, so that both select the same events);
and those whose user's zone an event without a zone of its own gets (the feed's and the log's ``zone``).

Imports nothing: the API may import it (tests/test_layering.py) without reaching the indexer's store."""

from __future__ import annotations

USER_FIELDS = ("user", "authority", "owner", "holder", "regulator", "new_authority", "by")
"""Fields of any program's events naming a user (a wallet or its User PDA)."""
CERTIFICATE_USER_FIELDS = ("owner", "new_owner", "from", "to", "issuer")
"""Fields of certificate events naming a wallet (besides the retirement's beneficiary)."""
PROPOSAL_USER_FIELDS = ("proposer", "regulator", "cancelled_by")
"""Fields of proposal events naming the regulator who acted (created, voted, cancelled, closed)."""
NESTED_USER_FIELDS = (("retirement", "beneficiary"),)
"""Paths into an event's data naming a wallet: CertificateRetired's beneficiary."""
EVENT_USER_FIELDS = tuple(dict.fromkeys((*USER_FIELDS, *CERTIFICATE_USER_FIELDS, *PROPOSAL_USER_FIELDS)))
"""Every top-level field naming a user, in any event."""
ZONE_USER_FIELDS = (("user", "address"), ("holder", "authority"))
"""Fields naming a user whose zone an event without a zone of its own (and without a meter) gets, each
with the ``users`` column it matches: the User PDA, or the wallet that holds GRID (a wallet has one
User)."""
