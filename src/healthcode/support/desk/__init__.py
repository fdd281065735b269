"""The support agents' desk (SPEC §10): its use cases (``service``) and pages (``pages``)."""
