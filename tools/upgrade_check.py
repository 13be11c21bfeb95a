"""Upgrade test: the bench database built by the previous release, upgraded by this code.

    .venv/bin/python tools/upgrade_check.py                    # from the latest tag before HEAD, scale 0.02
    .venv/bin/python tools/upgrade_check.py --from v0.1.0 --scale 0.05

What an IT officer does on upgrade day, on a PostgreSQL database filled at scale by the previous release:
  1. the previous release's tree (`git archive <tag>`) builds its bench database (`bench.run --generate-only`:
     its own migrations, demo, generated records, with its own key ring);
  2. the row count of every table is taken;
  3. this tree runs `migrate` on it (timed), then `rollups_rebuild` when the release has roll-ups, `check`,
     and `audit_verify` (the audit chain written by the old release still verifies under the new code);
  4. no table lost a row, identities written by the old release still decrypt, and the migrations are all
     applied (`migrate --check`).
Exit status 1 on any failure, with what failed. `.ci/run` runs it on every CI run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).absolute().parent.parent
PY = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/sentinelle_upgrade"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


# Every release tag and its commit, newest first (a tag is added here when it is made).
RELEASES = (("v0.1.0", "89ff5a4cc52a00e478bbde2c172bb4959a32805f"),)


def previous_tag() -> str:
    """The latest release tag before HEAD (HEAD's own tag, if it has one, is this release)."""
    tags = [
        tag
        for tag in git("tag", "--merged", "HEAD", "--sort=-creatordate").splitlines()
        if tag.startswith("v")
    ]
    own = set(git("tag", "--points-at", "HEAD").splitlines())
    earlier = [tag for tag in tags if tag not in own]
    if earlier:
        return earlier[0]
    # A clone that fetched no tags (CI may clone the branch alone): the releases by commit, newest first.
    head = git("rev-parse", "HEAD")
    for _tag, commit in RELEASES:
        if commit != head and _is_ancestor(commit):
            return commit
    raise SystemExit("No earlier release in this clone: fetch the tags (git fetch --tags).")


def _is_ancestor(commit: str) -> bool:
    completed = subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "--is-ancestor", commit, "HEAD"], capture_output=True
    )
    return completed.returncode == 0


def recreate(database_url: str) -> None:
    import psycopg

    url = urlparse(database_url)
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.path.lstrip("/")}" WITH (FORCE)')


def table_counts(database_url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables
        }


def run(command: list[str], *, cwd: Path, env: dict) -> float:
    started = time.monotonic()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if completed.returncode:
        sys.stdout.write(completed.stdout[-4000:])
        sys.stderr.write(completed.stderr[-4000:])
        raise SystemExit(f"Failed ({completed.returncode}): {' '.join(command)} in {cwd}")
    return time.monotonic() - started


# The national figures by region that the upgrade must not move (read exactly, as the analysts see them).
FIGURES = ("incidents", "victims", "grave_violations", "gbv_incidents", "cases", "referrals", "activities")
FIGURES_PROBE = (
    "import json\n"
    "from sentinelle.core.datasets import aggregate, strip_keys\n"
    "rows = {name: sorted(json.dumps(row, sort_keys=True, default=str) for row in strip_keys(\n"
    "    aggregate(name, group_by=['admin1'], exact=True))) for name in %r}\n"
    "print('FIGURES ' + json.dumps(rows))\n"
)


def figures(python: str, *, cwd: Path, env: dict) -> dict:
    completed = subprocess.run(
        [python, "manage.py", "shell", "-c", FIGURES_PROBE % (FIGURES,)],
        cwd=cwd,
        # Computed from the records or the roll-ups, never read back from the figure cache.
        env={**env, "SENTINELLE_FIGURE_CACHE_SECONDS": "0"},
        capture_output=True,
        text=True,
    )
    if completed.returncode:
        sys.stderr.write(completed.stderr[-4000:])
        raise SystemExit(f"Could not read the figures in {cwd}")
    line = next(line for line in completed.stdout.splitlines() if line.startswith("FIGURES "))
    return json.loads(line.removeprefix("FIGURES "))


def _bench_env_of(tree: Path, database_url: str) -> dict[str, str]:
    """The previous release's own bench environment (its key ring under its var/bench/)."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SENTINELLE_DEMO": "true",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": database_url,
        "SENTINELLE_VAR_DIR": str(tree / "var" / "bench"),
        "SENTINELLE_FIELD_KEYS_FILE": str(tree / "var" / "bench" / "field-keys.json"),
    }


def new_env(database_url: str, keys: Path, var: Path) -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from bench.environment import bench_env

    return {
        **os.environ,
        **bench_env(database_url),
        "SENTINELLE_FIELD_KEYS_FILE": str(keys),
        "SENTINELLE_VAR_DIR": str(var),
        "PYTHONPATH": str(ROOT),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--from", dest="tag", default="", help="release tag to upgrade from (default: the previous)"
    )
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--database-url", default=os.environ.get("UPGRADE_DATABASE_URL") or DEFAULT_DB)
    args = parser.parse_args(argv)
    tag = args.tag or previous_tag()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sentinelle-upgrade-") as tmp:
        old = Path(tmp) / tag
        old.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", tag], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        log(f"{tag} unpacked; building its bench database at scale {args.scale}")
        recreate(args.database_url)
        old_env = {**os.environ, "PYTHONPATH": str(old)}
        seconds = run(
            [
                PY,
                "-m",
                "bench.run",
                "bench",
                "--scale",
                str(args.scale),
                "--generate-only",
                "--database-url",
                args.database_url,
            ],
            cwd=old,
            env=old_env,
        )
        log(f"{tag}: database built in {seconds:.1f} s")
        before = table_counts(args.database_url)
        figures_before = figures(PY, cwd=old, env={**old_env, **_bench_env_of(old, args.database_url)})
        keys = old / "var" / "bench" / "field-keys.json"
        env = new_env(args.database_url, keys, Path(tmp) / "var")
        manage = [PY, str(ROOT / "manage.py")]
        seconds = run([*manage, "migrate", "--no-input"], cwd=ROOT, env=env)
        log(f"this tree: migrate in {seconds:.1f} s")
        commands = [[*manage, "migrate", "--check"], [*manage, "check"]]
        if (ROOT / "sentinelle" / "core" / "management" / "commands" / "rollups_rebuild.py").exists():
            commands.append([*manage, "rollups_rebuild"])
        commands.append([*manage, "audit_verify"])
        for command in commands:
            seconds = run(command, cwd=ROOT, env=env)
            log(f"this tree: {' '.join(command[2:])} in {seconds:.1f} s")
        after = table_counts(args.database_url)
        for table, rows in before.items():
            if table not in after:
                failures.append(f"table {table} ({rows} rows) is gone")
            elif after[table] < rows and table not in {"django_session"}:
                failures.append(f"table {table}: {rows} rows before, {after[table]} after")
        probe = (
            "from sentinelle.cases.models import Person\n"
            "names = list(Person.objects.order_by('pk').values_list('given_name', flat=True)[:50])\n"
            "assert names and all(names), 'identities written by the previous release do not decrypt'\n"
            "print(len(names))\n"
        )
        run([*manage, "shell", "-c", probe], cwd=ROOT, env=env)
        figures_after = figures(PY, cwd=ROOT, env=env)
        for name, rows in figures_before.items():
            if figures_after.get(name) != rows:
                failures.append(
                    f"{name} by region: {rows} before the upgrade, {figures_after.get(name)} after"
                )
        log(f"figures by region identical before and after: {', '.join(figures_before)}")
    if failures:
        for failure in failures:
            log(f"FAILED: {failure}")
        return 1
    log(f"Upgrade from {tag} passed: {len(before)} tables, none lost a row.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
