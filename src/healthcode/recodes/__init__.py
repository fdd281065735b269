"""Manual recoding by the health authority, four-eyes and appealable (SPEC §5)."""
