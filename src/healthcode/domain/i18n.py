"""Marking user-facing texts for translation without translating them here.

The domain never knows the reader's language: it returns English message ids marked with
:func:`N_` so that Babel's extractor finds them, and the web layer translates them with the
request's catalog (``healthcode.i18n``).
"""


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; return it unchanged."""
    return message
