"""Every translatable string of the code is in the French catalogue (`make lint`).

Runs Django's makemessages on a temporary copy of the tree (the real locale/ is never written) and fails
when a message of the code is missing from locale/fr/LC_MESSAGES/django.po: a new `_()` string must reach
the catalogue (and be translated, which sentinelle/core/tests/test_i18n.py checks). Entries of the catalogue
that the code no longer uses are listed, not failed.

    python tools/catalogue_sync.py          # exit 1 and the missing messages when out of sync
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = Path("locale") / "fr" / "LC_MESSAGES" / "django.po"
# Not scanned: what makemessages would otherwise walk into (tools, caches, the bench, the docs).
SKIPPED = (
    ".git",
    ".venv",
    "node_modules",
    "var",
    "bench",
    "docs",
    "tools",
    "test-artifacts",
    "__pycache__",
    "*.pyc",
    "*.mo",
    "*.egg-info",
    ".*_cache",
)


def keys(path: Path) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(entry.msgctxt, entry.msgid): entry for entry in polib.pofile(str(path)) if not entry.obsolete}


def extract(tree: Path) -> Path:
    """Copy the tree, run makemessages in the copy, return the copy's regenerated catalogue."""
    copy = tree / "sentinelle-copy"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*SKIPPED), symlinks=True)
    # makemessages needs settings, not the apps: a bare module keeps a half-edited app from stopping it.
    (copy / "catalogue_sync_settings.py").write_text(
        'SECRET_KEY = "catalogue-sync"\nUSE_I18N = True\nINSTALLED_APPS = []\nLOCALE_PATHS = ["locale"]\n'
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "catalogue_sync_settings"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete", "-v", "0"],
        cwd=copy,
        env=env,
        check=True,
    )
    return copy / CATALOGUE


def differences(code: dict, catalogue: dict) -> tuple[list[str], list[str]]:
    """(messages of the code missing from the catalogue or with another plural, catalogue entries unused)."""
    missing = [
        f"{msgid!r}" + (f" (context {context!r})" if context else "")
        for (context, msgid), entry in code.items()
        if (context, msgid) not in catalogue or catalogue[context, msgid].msgid_plural != entry.msgid_plural
    ]
    unused = [repr(msgid) for (context, msgid) in catalogue if (context, msgid) not in code]
    return missing, unused


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="catalogue-sync-") as tree:
        code = keys(extract(Path(tree)))
    missing, unused = differences(code, keys(ROOT / CATALOGUE))
    if unused:
        print(
            f"{CATALOGUE}: {len(unused)} entries no longer in the code"
            " (makemessages --no-obsolete drops them)"
        )
    if missing:
        print(
            f"{CATALOGUE}: {len(missing)} messages of the code are missing"
            " (run makemessages -l fr and translate them):"
        )
        print("\n".join(f"  {line}" for line in missing))
        return 1
    print(f"{CATALOGUE}: every one of the {len(code)} messages of the code is in the catalogue")
    return 0


if __name__ == "__main__":
    sys.exit(main())
