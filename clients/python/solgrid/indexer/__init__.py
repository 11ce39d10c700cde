"""solgrid.indexer: the programs' events in SQL (SQLite or Postgres) and on a websocket feed.

Modules, in data-flow order:

- :mod:`~solgrid.indexer.live` — ``logsSubscribe`` per program; a notification only wakes catch-up;
- :mod:`~solgrid.indexer.backfill` — catch-up from the per-program checkpoint, oldest first, never
  moving the checkpoint past a transaction it could not fetch, and going on from what the node
  serves when it has pruned the checkpoint;
- :mod:`~solgrid.indexer.gaps` — history the node had pruned before it was read: recorded, alerted;
- :mod:`~solgrid.indexer.archive` — those gaps filled from an archive node;
- :mod:`~solgrid.indexer.chain` — the JSON-RPC reads (getSignaturesForAddress, getTransaction);
- :mod:`~solgrid.indexer.decode` — log messages to positioned events, up to a "Log truncated" cut;
- :mod:`~solgrid.indexer.recover` — the events a cut removed, rebuilt from the transaction's
  instructions (CPIs included) and token balances;
- :mod:`~solgrid.indexer.store` — idempotent, atomic writes of transactions, events, domain rows and
  the checkpoint;
- :mod:`~solgrid.indexer.trading` — the trading program's markets, orders and their state history,
  trades and 15-minute price buckets, recomputed from what is stored for what a batch touched;
- :mod:`~solgrid.indexer.certificates` / :mod:`~solgrid.indexer.proposals` /
  :mod:`~solgrid.indexer.pauses` — the governance program's certificates (with their history,
  retirements and the ``carbon_credits`` view), proposals and votes, and the registry's pauses;
  :mod:`~solgrid.indexer.authority` reads who signed a quorum's change from the transaction;
- :mod:`~solgrid.indexer.models` / :mod:`~solgrid.indexer.db` — tables, engines, Alembic migrations;
- :mod:`~solgrid.indexer.feed` — the websocket server and its JSON protocol;
- :mod:`~solgrid.indexer.service` — all of it together (``solgrid indexer run``).
"""
