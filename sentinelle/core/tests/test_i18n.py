"""The French catalogue is complete and its placeholders match the English source."""

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

CATALOGUE = Path(__file__).resolve().parents[3] / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
ENTRIES = [e for e in polib.pofile(str(CATALOGUE)) if not e.obsolete]


def test_catalogue_has_entries():
    assert len(ENTRIES) > 100


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.msgid[:40] for e in ENTRIES])
def test_every_message_is_translated_with_the_same_placeholders(entry):
    assert "fuzzy" not in entry.flags, f"fuzzy: {entry.msgid!r}"
    if entry.msgid_plural:
        forms = [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
        assert len(forms) == 2 and all(forms), f"untranslated plural: {entry.msgid!r}"
        assert PLACEHOLDER.findall(entry.msgid_plural) == PLACEHOLDER.findall(forms[1])
        return
    assert entry.msgstr, f"untranslated: {entry.msgid!r}"
    assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(entry.msgstr))


def test_french_is_active_by_default_and_english_available():
    with translation.override("fr"):
        assert translation.gettext("Sign in") == "Se connecter"
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"
