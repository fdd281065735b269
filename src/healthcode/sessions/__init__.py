"""Device sessions: bearer tokens for residents' phones and staff browsers alike."""
