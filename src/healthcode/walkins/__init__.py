"""Walk-ins registered at a designated institution's desk (SPEC §9)."""
