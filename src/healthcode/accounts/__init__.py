"""Residents' phone login: SMS codes, device sessions (SPEC §2)."""
