"""The headless views: `run`, `watch`, `verify` and `compare` print lines, never load Textual."""
