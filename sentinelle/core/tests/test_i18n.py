"""The French catalogue is complete and its placeholders match the English source.

One test reads the whole catalogue and names every faulty entry at once. That every string of the code
reached the catalogue is checked by `make lint` (tools/catalogue_sync.py, through makemessages).
"""

import re
from pathlib import Path

import polib
from django.utils import translation

CATALOGUE = Path(__file__).resolve().parents[3] / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def entry_faults(entry: polib.POEntry) -> list[str]:
    """What is wrong with one catalogue entry: fuzzy, untranslated, placeholders differing from the source."""
    faults = []
    if "fuzzy" in entry.flags:
        faults.append("fuzzy")
    if entry.msgid_plural:
        forms = [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
        if len(forms) != 2 or not all(forms):
            faults.append("untranslated plural")
        elif PLACEHOLDER.findall(entry.msgid_plural) != PLACEHOLDER.findall(forms[1]):
            faults.append("plural placeholders differ")
    elif not entry.msgstr:
        faults.append("untranslated")
    elif sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
        faults.append("placeholders differ")
    return faults


def catalogue_faults(path: Path) -> list[str]:
    return [
        f"{', '.join(faults)}: {entry.msgid!r}"
        for entry in polib.pofile(str(path))
        if not entry.obsolete and (faults := entry_faults(entry))
    ]


def test_every_message_is_translated_with_the_same_placeholders():
    entries = [entry for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete]
    assert len(entries) > 100
    faults = catalogue_faults(CATALOGUE)
    assert not faults, f"{len(faults)} faulty entries in {CATALOGUE.name}:\n" + "\n".join(faults)


def test_the_catalogue_check_names_every_faulty_entry(tmp_path):
    """The check above can fail: each fuzzy, untranslated or mismatched entry is named, a good one not."""
    catalogue = polib.POFile()
    catalogue.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=2; plural=(n > 1);",
    }
    catalogue.append(polib.POEntry(msgid="Sign in", msgstr="Se connecter"))
    catalogue.append(polib.POEntry(msgid="Case %(code)s", msgstr="Dossier %(code)s", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="Untranslated", msgstr=""))
    catalogue.append(polib.POEntry(msgid="Hello %(name)s", msgstr="Bonjour %(nom)s"))
    catalogue.append(
        polib.POEntry(
            msgid="%(n)s case", msgid_plural="%(n)s cases", msgstr_plural={0: "%(n)s dossier", 1: ""}
        )
    )
    catalogue.append(polib.POEntry(msgid="Old", msgstr="", obsolete=True))
    path = tmp_path / "django.po"
    catalogue.save(str(path))
    assert catalogue_faults(path) == [
        "fuzzy: 'Case %(code)s'",
        "untranslated: 'Untranslated'",
        "placeholders differ: 'Hello %(name)s'",
        "untranslated plural: '%(n)s case'",
    ]


def test_french_is_active_by_default_and_english_available():
    with translation.override("fr"):
        assert translation.gettext("Sign in") == "Se connecter"
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"
