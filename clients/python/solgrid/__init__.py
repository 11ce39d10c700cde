"""SolGrid: peer-to-peer energy trading on Solana — SDK, CLI, oracle worker, indexer, local node and build."""

__version__ = "0.1.0"
