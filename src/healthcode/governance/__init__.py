"""Administration of what the platform trusts and decides with: signing keys, colour rule sets
(activated by two administrators), and other issuers' trust lists (SPEC §1, §5, §11)."""
