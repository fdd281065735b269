"""Free text typed into a form (notes, descriptions, appeals, evidence)."""

from __future__ import annotations


def form_text(raw: str | None) -> str:
    """The text as the form counted it: line breaks as ``\\n``, surrounding blanks trimmed.

    Browsers send a textarea's line breaks as CRLF but count each as one character for
    ``maxlength``; counting them the same way keeps a text the form accepted from being refused.
    Callers check the length of what this returns.
    """
    return (raw or "").replace("\r\n", "\n").replace("\r", "\n").strip()
