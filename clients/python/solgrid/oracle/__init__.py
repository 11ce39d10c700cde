"""solgrid.oracle."""
