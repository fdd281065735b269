"""Personal data at rest (SPEC §12): which columns are encrypted, under which context, and rekeying."""
