"""Support tickets residents file when the platform cannot help them itself (SPEC §3, §10)."""
