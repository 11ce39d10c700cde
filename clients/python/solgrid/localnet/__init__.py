"""A local Solana node: JSON-RPC and websocket PubSub over LiteSVM on agave 4.1.2 (``solgrid localnet``).

Modules (imported explicitly; this package imports nothing so that ``solgrid.localnet.svm`` stays light):

* ``server``: ``LocalNode``/``NodeConfig``, the aiohttp servers (RPC on the port, PubSub on the next)
  and the slot clock; ``background.BackgroundNode`` runs one on its own thread.
* ``engine``: the runtime, solders 0.29.0's LiteSVM (agave 4.1.2) installed as ``solders29``, driven with
  the client stack's solders 0.26 types; ``svm`` sets it up as a validator would be (in-process helpers).
* ``chain``: the engine plus a validator's bookkeeping (blockhash ages, signature de-duplication, history,
  account index, faucet, preflight, persistence); ``timeline``: slots, blockhashes, epochs, unix time;
  ``finality``: commitment levels (the root trailing the tip); ``slot_hashes``: the SlotHashes sysvar.
  Its parts: ``tx_outcomes`` (what a sent transaction comes to, the listeners), ``execution`` (a
  transaction's accounts before it ran), ``simulation_results`` (simulateTransaction's answer),
  ``stored_accounts`` (which accounts exist and persist), ``account_index`` (accounts by owner),
  ``performance`` (getRecentPerformanceSamples).
* ``methods`` (the RPC methods), ``controls`` (the ``solgrid_*`` test controls), ``pubsub``,
  ``jsonrpc`` (envelopes and error codes), ``params``/``filters``/``wire`` (request parsing),
  ``encoding``/``tokens``/``render``/``txmeta`` (response forms), ``store`` (SQLite), ``genesis``
  (upgradeable programs at start), ``bench`` (throughput).

Behaviour worth knowing (each is tested in tests/localnet):

* Commitment as on solana-test-validator: a transaction is confirmed when committed and finalized 31
  slots later; ``finalized`` (the default of every request) reads the root's slot, state, blockhash and
  history, and preflight and simulation at ``finalized`` run in the root's bank. The genesis block is
  rooted and transactions run from slot 1. SlotHashes of the bank of slot N lists N-1 ... N-512.
  Statuses older than the status cache (300 rooted slots) need ``searchTransactionHistory``.
* A slot every ``slot_ms`` (400) with a new blockhash; a blockhash is valid for 150 blocks; the Clock
  sysvar's unix_timestamp is wall-clock time (plus what tests add); epochs of 432,000 slots.
* sendTransaction executes once. With preflight, a failure is rolled back and answered with -32002 and
  the RpcSimulateTransactionResult (logs included), exactly what a validator answers after simulating;
  without preflight a failure that paid its fee is committed with its error, as on a cluster.
* Every feature of agave 4.1.2 is active (as on a default solana-test-validator) except those named in
  ``NodeConfig.deactivate_features`` (``--deactivate-feature``): SBPF v3 programs deploy, v0 ones run but
  deploy only with SIMD-0500 deactivated; a transfer must leave a new account rent-exempt.
* Fees: 5,000 lamports per signature (and per precompile signature) plus the prioritization fee
  (compute-unit price x limit), as agave 4 charges them.
* Test controls over JSON-RPC: ``solgrid_warpSlot [slot]``, ``solgrid_advanceTime [seconds]``,
  ``solgrid_setClock [{"unixTimestamp"}]``, ``solgrid_getClock []``, ``solgrid_setAccount [pubkey,
  {lamports, owner, data, executable}]``; in Python the same on ``LocalNode.chain``.
* ``--ledger DIR`` keeps accounts, history and node state in SQLite; a restart continues where it
  stopped (deployed programs included).
"""
