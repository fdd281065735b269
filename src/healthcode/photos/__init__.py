"""Document photos (SPEC §3): cleaning uploads before they are encrypted and stored."""
