"""Statistics for administrators and the health authority (SPEC §10): charts drawn from rollups
that hold counts only, never personal data."""
