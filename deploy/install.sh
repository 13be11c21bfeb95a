#!/bin/bash
# Install or upgrade Sentinelle on Debian 12 with PostgreSQL, from a tagged release. Run as root:
#
#   ./deploy/install.sh --domain sentinelle.example.org sentinelle-1.2.0.tar.gz   # first installation
#   ./deploy/install.sh sentinelle-1.3.0.tar.gz                                    # upgrade
#
# The release is the archive of a tag (git archive --prefix=sentinelle-1.2.0/ -o sentinelle-1.2.0.tar.gz
# v1.2.0) or a directory holding one unpacked. Safe to run again: every step checks what is already there.
#
#   /opt/sentinelle/releases/<version>/   the code of each release, with its own virtualenv (.venv)
#   /opt/sentinelle/current               a link to the release that runs
#   /etc/sentinelle/sentinelle.env        the environment (from deploy/sentinelle.env; never overwritten)
#   /etc/sentinelle/field-keys.json       the identity key ring (created once; KEEP A COPY APART)
#   /var/lib/sentinelle                   uploads and collected static files (SENTINELLE_VAR_DIR)
#   /srv/sentinelle-anchors               the audit anchors (better on another disk)
#   /var/backups/sentinelle               the nightly backups
#
# An upgrade takes a backup first, stops the services, switches the link, migrates, and starts them again;
# if the migration fails, the link goes back to the previous release (restore the backup if needed).
set -euo pipefail

APP_ROOT=/opt/sentinelle
ETC=/etc/sentinelle
ENV_FILE=$ETC/sentinelle.env
KEY_FILE=$ETC/field-keys.json
VAR_DIR=/var/lib/sentinelle
ANCHOR_DIR=/srv/sentinelle-anchors
BACKUP_DIR=/var/backups/sentinelle
SERVICE_USER=sentinelle
UNITS=(sentinelle-web.socket sentinelle-web.service sentinelle-worker.service
       sentinelle-anchor.service sentinelle-anchor.timer sentinelle-backup.service sentinelle-backup.timer
       sentinelle-retention.service sentinelle-retention.timer sentinelle-verify.service sentinelle-verify.timer)
TIMERS=(sentinelle-anchor.timer sentinelle-backup.timer sentinelle-retention.timer sentinelle-verify.timer)
PACKAGES=(python3 python3-venv python3-dev build-essential gettext postgresql postgresql-client
          nginx-light ssl-cert curl libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)

DOMAIN=""
SKIP_APT=0
usage() {
    echo "usage: $0 [--domain HOST] [--skip-apt] RELEASE.tar.gz|RELEASE_DIR" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
        --domain) DOMAIN=${2:-}; shift 2 ;;
        --skip-apt) SKIP_APT=1; shift ;;
        -h|--help) usage ;;
        -*) usage ;;
        *) RELEASE=$1; shift ;;
    esac
done
[ -n "${RELEASE:-}" ] || usage
[ "$(id -u)" -eq 0 ] || { echo "Run install.sh as root." >&2; exit 1; }

say() { printf '\n==> %s\n' "$*"; }
as_app() { runuser -u "$SERVICE_USER" -- "$@"; }
manage() { /usr/local/bin/sentinelle-manage "$@"; }

if ! grep -q '^VERSION_ID="12"' /etc/os-release; then
    echo "Warning: written for Debian 12; this system is $(. /etc/os-release; echo "$PRETTY_NAME")." >&2
fi

# --- 1. System packages ----------------------------------------------------------------------------------
if [ "$SKIP_APT" -eq 0 ]; then
    say "System packages"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}"
fi

# --- 2. The release ----------------------------------------------------------------------------------------
say "Release $RELEASE"
if [ -d "$RELEASE" ]; then
    SOURCE=$(cd "$RELEASE" && pwd)
else
    STAGE=$(mktemp -d)
    trap 'rm -rf "$STAGE"' EXIT
    tar -xzf "$RELEASE" -C "$STAGE"
    SOURCE=$(find "$STAGE" -mindepth 1 -maxdepth 1 -type d | head -n 1)
fi
[ -f "$SOURCE/manage.py" ] && [ -f "$SOURCE/pyproject.toml" ] || { echo "$RELEASE is not a Sentinelle release." >&2; exit 1; }
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$SOURCE/pyproject.toml" | head -n 1)
TARGET=$APP_ROOT/releases/$VERSION
PREVIOUS=$(readlink -f "$APP_ROOT/current" 2>/dev/null || true)
if [ "$PREVIOUS" = "$TARGET" ]; then
    echo "Release $VERSION is already the current one: checking the installation."
fi

# --- 3. The service user and its directories ---------------------------------------------------------------
say "User $SERVICE_USER and directories"
if ! id "$SERVICE_USER" >/dev/null 2>&1; then
    adduser --system --group --home "$VAR_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
install -d -m 0755 -o root -g root "$APP_ROOT" "$APP_ROOT/releases"
install -d -m 0750 -o root -g "$SERVICE_USER" "$ETC"
# nginx (www-data) reads the static files: the data directory may be crossed, not listed.
install -d -m 0711 -o "$SERVICE_USER" -g "$SERVICE_USER" "$VAR_DIR"
install -d -m 0755 -o "$SERVICE_USER" -g "$SERVICE_USER" "$VAR_DIR/staticfiles"
install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$VAR_DIR/media" "$ANCHOR_DIR" "$BACKUP_DIR"

# --- 4. Code and virtualenv ---------------------------------------------------------------------------------
if [ ! -f "$TARGET/.installed" ]; then
    say "Installing $VERSION into $TARGET"
    rm -rf "$TARGET"
    cp -a "$SOURCE" "$TARGET"
    chown -R root:root "$TARGET"
    python3 -m venv "$TARGET/.venv"
    "$TARGET/.venv/bin/pip" install --quiet --upgrade pip
    "$TARGET/.venv/bin/pip" install --quiet "$TARGET"
    chmod 0755 "$TARGET/deploy/backup.sh" "$TARGET/deploy/sentinelle-manage"
    # The code runs from the release tree, which the services may not write: compile it now.
    "$TARGET/.venv/bin/python" -m compileall -q "$TARGET/config" "$TARGET/sentinelle" >/dev/null
    touch "$TARGET/.installed"
fi
install -m 0755 "$TARGET/deploy/sentinelle-manage" /usr/local/bin/sentinelle-manage

# --- 5. Environment file and keys ---------------------------------------------------------------------------
if [ ! -f "$ENV_FILE" ]; then
    say "Environment file $ENV_FILE"
    [ -n "$DOMAIN" ] || { echo "First installation: give --domain HOST (the address users will type)." >&2; exit 1; }
    secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
    sed -e "s/sentinelle\.example\.org/$DOMAIN/g" -e "s/__GENERATED_BY_INSTALL__/$secret/" \
        "$TARGET/deploy/sentinelle.env" > "$ENV_FILE.new"
    chown root:"$SERVICE_USER" "$ENV_FILE.new"
    chmod 0640 "$ENV_FILE.new"
    mv "$ENV_FILE.new" "$ENV_FILE"
    echo "Written. Set the e-mail server (DJANGO_EMAIL_*) and the retention rules in it."
else
    # Variables a new release added to the template and this installation does not set yet.
    missing=$(comm -23 <(sed -n 's/^#\{0,1\}\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$TARGET/deploy/sentinelle.env" | sort -u) \
                       <(sed -n 's/^#\{0,1\}\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$ENV_FILE" | sort -u))
    if [ -n "$missing" ]; then
        echo "Note: $ENV_FILE does not mention (defaults apply): $(echo $missing)"
    fi
fi
if [ ! -f "$KEY_FILE" ]; then
    say "Identity key ring $KEY_FILE"
    # Written by root, readable by the service; SENTINELLE_FIELD_KEYS_FILE is unset for this one command
    # (settings read the file when it is named, and it does not exist yet).
    (cd "$TARGET" && env -i PATH=/usr/bin:/bin DJANGO_SECRET_KEY=key-ring-creation \
        SENTINELLE_VAR_DIR="$VAR_DIR" .venv/bin/python manage.py field_keys_init --path "$KEY_FILE")
    chown root:"$SERVICE_USER" "$KEY_FILE"
    chmod 0640 "$KEY_FILE"
    echo "COPY $KEY_FILE TO ANOTHER MEDIUM NOW (a USB key in a safe): without it, backups cannot be read."
fi

# --- 6. PostgreSQL ------------------------------------------------------------------------------------------------
say "PostgreSQL role and database"
if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$SERVICE_USER'" | grep -q 1; then
    runuser -u postgres -- createuser "$SERVICE_USER"
fi
if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'sentinelle'" | grep -q 1; then
    runuser -u postgres -- createdb --owner "$SERVICE_USER" --encoding UTF8 --template template0 sentinelle
fi

# --- 7. Upgrade: backup and stop ----------------------------------------------------------------------------------
UPGRADE=0
if [ -n "$PREVIOUS" ] && [ "$PREVIOUS" != "$TARGET" ]; then
    UPGRADE=1
    say "Upgrade from $(basename "$PREVIOUS") to $VERSION: backup, then stop the services"
    systemctl start sentinelle-backup.service
    systemctl stop "${TIMERS[@]}" sentinelle-worker.service sentinelle-web.service sentinelle-web.socket || true
fi

# --- 8. Switch, migrate, static files, translations, geography --------------------------------------------------
say "Switching $APP_ROOT/current to $VERSION"
ln -sfn "$TARGET" "$APP_ROOT/current.new"
mv -T "$APP_ROOT/current.new" "$APP_ROOT/current"
# Translations are compiled into the release (owned by root); they need no database nor key.
(cd "$TARGET" && env -i PATH=/usr/bin:/bin DJANGO_SECRET_KEY=compilemessages SENTINELLE_VAR_DIR="$VAR_DIR" \
    .venv/bin/python manage.py compilemessages --ignore=.venv -v 0)
if ! manage migrate --no-input; then
    if [ "$UPGRADE" -eq 1 ]; then
        echo "The migration failed: back to $(basename "$PREVIOUS"). The backup of this run is in $BACKUP_DIR." >&2
        ln -sfn "$PREVIOUS" "$APP_ROOT/current"
        systemctl start sentinelle-web.socket sentinelle-web.service sentinelle-worker.service "${TIMERS[@]}"
    fi
    exit 1
fi
# The roll-up tables the figures read (core/rollups.py): new ones arrive empty from their migration, and a
# rebuild from the records is exact whatever the release before; minutes at national scale, services stopped.
manage rollups_rebuild
(umask 022 && manage collectstatic --no-input -v 0)
manage load_geography
manage check --deploy --fail-level WARNING

# --- 9. Services -----------------------------------------------------------------------------------------------------
say "systemd units"
for unit in "${UNITS[@]}"; do
    install -m 0644 "$TARGET/deploy/$unit" "/etc/systemd/system/$unit"
done
systemctl daemon-reload
systemctl enable sentinelle-web.socket sentinelle-web.service sentinelle-worker.service "${TIMERS[@]}"
# The socket is part of the web service: restarting the service restarts it too.
systemctl start sentinelle-web.socket
systemctl restart sentinelle-web.service sentinelle-worker.service
systemctl start "${TIMERS[@]}"

# --- 10. nginx ---------------------------------------------------------------------------------------------------
say "nginx"
install -m 0644 "$TARGET/deploy/nginx-sentinelle-proxy.conf" /etc/nginx/sentinelle-proxy.conf
if [ ! -f /etc/nginx/sites-available/sentinelle ]; then
    host=${DOMAIN:-$(sed -n 's/^DJANGO_ALLOWED_HOSTS=\([^,]*\).*/\1/p' "$ENV_FILE")}
    sed "s/sentinelle\.example\.org/$host/g" "$TARGET/deploy/nginx-sentinelle.conf" > /etc/nginx/sites-available/sentinelle
    ln -sfn /etc/nginx/sites-available/sentinelle /etc/nginx/sites-enabled/sentinelle
    # Debian's welcome page would answer for unknown host names.
    [ -L /etc/nginx/sites-enabled/default ] && rm /etc/nginx/sites-enabled/default
else
    echo "/etc/nginx/sites-available/sentinelle exists (certificate, host name): kept as it is."
fi
nginx -t
systemctl reload nginx || systemctl start nginx

# --- 11. A first backup, and the health check ---------------------------------------------------------------------
if [ "$UPGRADE" -eq 0 ] && [ -z "$(ls -A "$BACKUP_DIR")" ]; then
    say "First backup"
    systemctl start sentinelle-backup.service
fi
sleep 2
say "Health"
curl -fsS http://127.0.0.1/healthz -H "Host: $(sed -n 's/^DJANGO_ALLOWED_HOSTS=\([^,]*\).*/\1/p' "$ENV_FILE")" \
    || echo "(the worker needs a few seconds for its first heartbeat: curl http://127.0.0.1/healthz again)"
echo

cat <<EOF

Sentinelle $VERSION is installed.
Next:
  1. The first administrator (once):  sentinelle-manage createadmin
  2. The TLS certificate: /etc/nginx/sites-available/sentinelle (certbot --nginx, or your own), then
     systemctl reload nginx
  3. Copy $KEY_FILE to another medium, in another place (once, and after each key rotation).
  4. Copy $BACKUP_DIR off the machine regularly.
EOF
