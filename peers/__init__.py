"""Other order books measured beside SolGrid's (see README.md); never part of SolGrid."""
