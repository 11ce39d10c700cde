"""A local Solana node: JSON-RPC and websocket PubSub over LiteSVM."""
