"""Text normalisation shared by look-ups, keyed hashes and imports."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_text(value: str) -> str:
    """Case, accents, punctuation and spacing do not matter: 'Ségou-Ville ' == 'segou ville'."""
    letters = "".join(ch if ch.isalnum() else " " for ch in strip_accents(value).casefold())
    return _SPACES.sub(" ", letters).strip()
