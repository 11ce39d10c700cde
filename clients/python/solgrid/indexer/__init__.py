"""solgrid.indexer."""
