"""Watch mode: which saves matter, which suites and tests they affect, and in what order."""
