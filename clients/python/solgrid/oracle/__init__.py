"""The oracle worker: meter readings from sources into a durable queue, onto the chain in batches, then
settled into GRID (``solgrid oracle run --config FILE``)."""
