"""The market data API and the dashboard: HTTP JSON over the indexer's database, the indexer's websocket
feed relayed at ``/feed``, and the dashboard's static files at ``/``, all from one process
(``solgrid api run``). It reads the database only (never migrates or writes it) and never talks to the
programs; the chain slot on the status page is the one RPC call it makes. See docs/api.md."""
