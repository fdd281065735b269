"""Sending text messages through a provider chosen by settings (SPEC §2)."""
