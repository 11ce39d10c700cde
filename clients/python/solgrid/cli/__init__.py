"""solgrid.cli."""
