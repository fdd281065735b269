"""Paper certificates (SPEC §9): the designated institution clerk's desk under ``/staff/certificates``."""
