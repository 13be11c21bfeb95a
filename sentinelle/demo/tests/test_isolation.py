"""Demo data is not runtime code: production neither installs nor imports it, and the wheel leaves it out.

The import-linter contract in pyproject.toml forbids a direct or indirect import of sentinelle.demo from the
apps; these tests check the running result: every runtime module imported, nothing of the demo loaded.
"""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from setuptools import find_packages

BASE_DIR = Path(__file__).resolve().parents[3]

# Imports every module of the apps (not their tests, not the demo) and the URL configuration.
IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
import django
django.setup()
import sentinelle
from django.conf import settings
from django.core.management import get_commands
importlib.import_module(settings.ROOT_URLCONF)
packages = [sentinelle]
while packages:
    package = packages.pop()
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name == "sentinelle.demo" or info.name.endswith(".tests"):
            continue
        module = importlib.import_module(info.name)
        if info.ispkg:
            packages.append(module)
print(len(sys.modules))
print("sentinelle.demo" in settings.INSTALLED_APPS)
print("seed_demo" in get_commands())
print(sorted(name for name in sys.modules if name.startswith("sentinelle.demo")))
"""


def _run(tmp_path, **env) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SENTINELLE_", "DATABASE_"))}
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "s" * 50,
            "SENTINELLE_VAR_DIR": str(tmp_path),
            **env,
        }
    )
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed program)
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_production_imports_every_runtime_module_and_nothing_of_the_demo(tmp_path):
    modules, installed, command, loaded = _run(tmp_path, DJANGO_DEBUG="false")
    assert int(modules) > 500  # the walk did import the apps
    assert (installed, command, loaded) == ("False", "False", "[]")


@pytest.mark.parametrize(
    "env", [{"DJANGO_DEBUG": "true"}, {"DJANGO_DEBUG": "false", "SENTINELLE_DEMO": "true"}]
)
def test_development_or_sentinelle_demo_installs_the_demo_app(tmp_path, env):
    _modules, installed, command, _loaded = _run(tmp_path, **env)
    assert (installed, command) == ("True", "True")


def test_the_wheel_leaves_the_demo_out():
    find = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(BASE_DIR, include=find["include"], exclude=find.get("exclude", ()))
    assert "sentinelle.core" in packages
    assert not [name for name in packages if name.startswith("sentinelle.demo")]
