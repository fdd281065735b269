"""The audit trail: who read or changed whose data, append-only and hash-chained (SPEC §10)."""
