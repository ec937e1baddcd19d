"""One file per schema revision, written out by hand and reviewed like code."""
