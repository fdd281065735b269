"""The administrators' pages for signing keys and trusted issuers."""
