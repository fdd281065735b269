"""The real-name reviewers' desk: applications the provider could not decide (SPEC §3, §10)."""
