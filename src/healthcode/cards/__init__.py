"""Applying for the electronic health card: documents, photos, real-name checks, family (§3, §6)."""
