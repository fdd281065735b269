"""Health declarations (SPEC §4): the form, the confirmation, every version kept."""
