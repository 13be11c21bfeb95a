"""deploy/: the systemd units pass `systemd-analyze verify`, the nginx site passes `nginx -t`, the
environment template names every variable the settings read, and `check --deploy` is clean with it.

No Debian 12 machine here: the units are verified with their paths moved to a temporary tree (verify
checks that the programs exist), the site inside a throwaway nginx.conf (Debian: apt-get install
nginx-light)."""

import os
import re
import runpy
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[3]
DEPLOY = BASE_DIR / "deploy"
APP = "/opt/sentinelle/current"
UNITS = sorted(path for pattern in ("*.service", "*.timer", "*.socket") for path in DEPLOY.glob(pattern))
SERVICES = [path for path in UNITS if path.suffix == ".service"]


def _template() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "sentinelle.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _sep, value = line.partition("=")
            values[name] = value
    return values


# --- systemd ---------------------------------------------------------------------------------------


def test_install_script_installs_every_unit():
    script = (DEPLOY / "install.sh").read_text()
    listed = set(re.findall(r"sentinelle-[a-z]+\.(?:service|timer|socket)", script))
    assert listed == {path.name for path in UNITS}
    for timer in DEPLOY.glob("*.timer"):
        assert (DEPLOY / f"{timer.stem}.service").exists()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_units_pass_systemd_analyze_verify(tmp_path):
    app = tmp_path / "app"
    for program in (".venv/bin/python", ".venv/bin/gunicorn", "deploy/backup.sh"):
        (app / program).parent.mkdir(parents=True, exist_ok=True)
        (app / program).symlink_to("/bin/true")
    units = tmp_path / "units"
    units.mkdir()
    for unit in UNITS:
        (units / unit.name).write_text(unit.read_text().replace(APP, str(app)))
    result = subprocess.run(  # noqa: S603
        ["systemd-analyze", "verify", *(unit.name for unit in UNITS)],  # noqa: S607
        cwd=units,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # verify reports unknown keys and bad values on stderr with status 0: any output is a failure.
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("unit", SERVICES, ids=lambda path: path.name)
def test_services_are_hardened(unit):
    lines = set(unit.read_text().splitlines())
    for directive in (
        "User=sentinelle",
        "EnvironmentFile=/etc/sentinelle/sentinelle.env",
        f"WorkingDirectory={APP}",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectHome=yes",
        "CapabilityBoundingSet=",
    ):
        assert directive in lines, f"{unit.name} lacks {directive}"
    writable = [line for line in lines if line.startswith("ReadWritePaths=")]
    assert len(writable) == 1 and "/var/lib/sentinelle" in writable[0]


def test_the_units_write_where_the_environment_says():
    env = _template()
    anchors, backups = env["SENTINELLE_AUDIT_ANCHOR_DIR"], env["SENTINELLE_BACKUP_DIR"]
    writers = {"sentinelle-worker", "sentinelle-anchor", "sentinelle-backup"}
    for unit in SERVICES:
        paths = re.search(r"^ReadWritePaths=(.*)$", unit.read_text(), re.M).group(1).split()
        assert env["SENTINELLE_VAR_DIR"] in paths
        assert (anchors in paths) == (unit.stem in writers), unit.name
        assert (backups in paths) == (unit.stem == "sentinelle-backup"), unit.name


# --- nginx -----------------------------------------------------------------------------------------


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_site_passes_nginx_t(tmp_path):
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t"]
    openssl += ["-keyout", str(key), "-out", str(certificate)]
    subprocess.run(openssl, check=True, capture_output=True, timeout=60)  # noqa: S603
    site = (DEPLOY / "nginx-sentinelle.conf").read_text()
    for old, new in (
        ("/etc/ssl/certs/ssl-cert-snakeoil.pem", str(certificate)),
        ("/etc/ssl/private/ssl-cert-snakeoil.key", str(key)),
        ("/etc/nginx/sentinelle-proxy.conf", str(DEPLOY / "nginx-sentinelle-proxy.conf")),
        ("/var/log/nginx", str(tmp_path)),
    ):
        assert old in site
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n{temp}\n    include {tmp_path / 'site.conf'};\n}}\n"
    )
    result = subprocess.run(  # noqa: S603
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr


def _megabytes(text: str) -> int:
    return int(text.rstrip("m")) * 1024 * 1024


def test_nginx_limits_sit_above_the_applications():
    """The application refuses an upload that is too large with its own message (audited): nginx's limits
    must let it through to say so, and wait longer than gunicorn does."""
    site = (DEPLOY / "nginx-sentinelle.conf").read_text()
    server_limit = re.search(r"^    client_max_body_size (\d+m);", site, re.M).group(1)
    openrosa = site[site.index("location = /openrosa/submission") :]
    openrosa_limit = re.search(r"client_max_body_size (\d+m);", openrosa).group(1)
    env = _template()
    assert _megabytes(server_limit) > int(env["SENTINELLE_IMPORT_MAX_BYTES"])
    assert _megabytes(server_limit) > settings.SENTINELLE["IMPORT_MAX_BYTES"]
    assert _megabytes(openrosa_limit) > int(env["SENTINELLE_OPENROSA_MAX_BYTES"])
    assert _megabytes(openrosa_limit) > settings.SENTINELLE["OPENROSA_MAX_BYTES"]

    proxy = (DEPLOY / "nginx-sentinelle-proxy.conf").read_text()
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", proxy).group(1))
    gunicorn = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert read_timeout > gunicorn["timeout"]
    for header in ("Host $host", "X-Forwarded-Proto $scheme", "X-Forwarded-For $proxy_add_x_forwarded_for"):
        assert f"proxy_set_header {header};" in proxy


def test_nginx_logs_no_query_string():
    site = (DEPLOY / "nginx-sentinelle.conf").read_text()
    log_format = site[site.index("log_format") : site.index(";", site.index("log_format"))]
    assert "$uri" in log_format
    assert "$request " not in log_format and "$request_uri" not in log_format and "$args" not in log_format
    assert re.findall(r"access_log (\S+)", site) == ["/var/log/nginx/sentinelle.access.log"] * 2 + ["off;"]


# --- The environment -----------------------------------------------------------------------------------


def _variables_read_by_settings() -> set[str]:
    source = (BASE_DIR / "config" / "settings.py").read_text()
    return set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))


def test_environment_template_lists_every_variable_in_systemd_syntax():
    text = (DEPLOY / "sentinelle.env").read_text()
    named = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, re.M))
    assert _variables_read_by_settings() - named == set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            # systemd keeps what follows the value (an inline comment, spaces) as part of it.
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=\S*", line), line


def test_env_example_lists_every_variable():
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (BASE_DIR / ".env.example").read_text(), re.M))
    assert _variables_read_by_settings() - named == set()


def test_check_deploy_is_clean_with_the_production_template(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SENTINELLE_", "DATABASE_"))}
    env.update(_template())
    (tmp_path / "anchors").mkdir()
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="production-like-" + "k3y" * 20,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SENTINELLE_VAR_DIR=str(tmp_path),
        SENTINELLE_FIELD_KEYS_FILE=str(tmp_path / "field-keys.json"),
        SENTINELLE_AUDIT_ANCHOR_DIR=str(tmp_path / "anchors"),
    )

    def manage(*args):
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    # The key file does not exist yet: created with the variable unset (as install.sh does).
    created = manage("field_keys_init", "--path", env.pop("SENTINELLE_FIELD_KEYS_FILE"))
    assert created.returncode == 0, created.stderr
    env["SENTINELLE_FIELD_KEYS_FILE"] = str(tmp_path / "field-keys.json")

    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr and "?:" not in result.stderr


# --- Scripts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "shell"), [("install.sh", "bash"), ("backup.sh", "sh"), ("sentinelle-manage", "sh")]
)
def test_scripts_parse_and_are_executable(script, shell):
    path = DEPLOY / script
    assert os.access(path, os.X_OK)
    result = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True, timeout=30)  # noqa: S603
    assert result.returncode == 0, result.stderr


def test_backup_script_keeps_recent_and_newest_backups(tmp_path):
    """Old backups go, but never the newest KEEP_MIN, nor a directory the script did not write."""
    app = tmp_path / "app"
    (app / ".venv" / "bin").mkdir(parents=True)
    fake = app / ".venv" / "bin" / "python"
    # manage.py backup DEST: a directory with a manifest.
    fake.write_text('#!/bin/sh\nmkdir -p "$3" && echo "{}" > "$3/manifest.json"\n')
    fake.chmod(0o755)
    backups = tmp_path / "backups"
    month_ago = time.time() - 30 * 86400
    for name in ("2026-10-01T023000Z", "2026-10-02T023000Z", "2026-10-03T023000Z", "2026-10-04T023000Z"):
        (backups / name).mkdir(parents=True)
        (backups / name / "manifest.json").write_text("{}")
        os.utime(backups / name, (month_ago, month_ago))
    (backups / "2026-09-01T000000Z").mkdir()  # no manifest: not one of ours
    os.utime(backups / "2026-09-01T000000Z", (month_ago, month_ago))
    (backups / "before-upgrade").mkdir()

    result = subprocess.run(  # noqa: S603
        ["sh", str(DEPLOY / "backup.sh")],  # noqa: S607
        env={
            "PATH": os.environ["PATH"],
            "SENTINELLE_APP_DIR": str(app),
            "SENTINELLE_BACKUP_DIR": str(backups),
            "SENTINELLE_BACKUP_KEEP_DAYS": "14",
            "SENTINELLE_BACKUP_KEEP_MIN": "3",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    left = sorted(path.name for path in backups.iterdir())
    new = [name for name in left if name.startswith("20") and name > "2026-10-04T023000Z"]
    assert len(new) == 1
    assert left == sorted(
        ["2026-09-01T000000Z", "2026-10-03T023000Z", "2026-10-04T023000Z", *new, "before-upgrade"]
    )


def test_backup_script_stops_when_the_backup_fails(tmp_path):
    app = tmp_path / "app"
    (app / ".venv" / "bin").mkdir(parents=True)
    (app / ".venv" / "bin" / "python").write_text("#!/bin/sh\nexit 1\n")
    (app / ".venv" / "bin" / "python").chmod(0o755)
    old = tmp_path / "backups" / "2026-01-01T000000Z"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text("{}")
    os.utime(old, (0, 0))
    result = subprocess.run(  # noqa: S603
        ["sh", str(DEPLOY / "backup.sh")],  # noqa: S607
        env={
            "PATH": os.environ["PATH"],
            "SENTINELLE_APP_DIR": str(app),
            "SENTINELLE_BACKUP_DIR": str(tmp_path / "backups"),
            "SENTINELLE_BACKUP_KEEP_MIN": "0",
        },
        capture_output=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert old.exists()
