"""BIO2 questionnaires: the in-memory model, the TOML loader and validator, and the judging of answers."""
