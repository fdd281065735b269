"""Staff accounts, roles, back-office sign-in with a second factor (SPEC §1, §10)."""
