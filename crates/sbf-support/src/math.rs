//! (filled in by the 128-bit division task)
