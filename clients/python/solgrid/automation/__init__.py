"""What the long-running services (the oracle worker, the keeper) share: their TOML configuration's
conventions (:mod:`.config`), sending transactions and classifying failures (:mod:`.sender`), retrying
with exponential backoff (:mod:`.backoff`), metrics and the JSON status file (:mod:`.metrics`,
:mod:`.status`), logging (:mod:`.logs`), and cranking meter settlement (:mod:`.meter_settlement`).

It builds on the SDK only; the services import it, it imports none of them."""
