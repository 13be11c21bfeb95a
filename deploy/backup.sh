#!/bin/sh
# Sentinelle's nightly backup (sentinelle-backup.service): `manage.py backup` into a new directory named
# for the time (UTC) under SENTINELLE_BACKUP_DIR, then the backups older than SENTINELLE_BACKUP_KEEP_DAYS
# removed; the newest SENTINELLE_BACKUP_KEEP_MIN are always kept, whatever their age.
#
# The identity key ring is NOT in the backups (a stolen backup must not reveal identities): keep a copy
# of /etc/sentinelle/field-keys.json on another medium, in another place, once (it changes only when the
# keys are rotated). Copy the backup directories off the machine too (rsync, restic, a mounted share).
set -eu

BACKUP_DIR=${SENTINELLE_BACKUP_DIR:-/var/backups/sentinelle}
KEEP_DAYS=${SENTINELLE_BACKUP_KEEP_DAYS:-14}
KEEP_MIN=${SENTINELLE_BACKUP_KEEP_MIN:-7}
APP_DIR=${SENTINELLE_APP_DIR:-/opt/sentinelle/current}

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
cd "$APP_DIR"
"$APP_DIR/.venv/bin/python" manage.py backup "$BACKUP_DIR/$stamp"

# Only directories this script wrote (named 20YY-...Z and holding a manifest), oldest first; never the
# newest KEEP_MIN of them.
ls -1d "$BACKUP_DIR"/20*Z 2>/dev/null | sort | head -n "-$KEEP_MIN" | while IFS= read -r old; do
    if [ -f "$old/manifest.json" ] && [ -n "$(find "$old" -maxdepth 0 -mtime "+$KEEP_DAYS")" ]; then
        rm -rf -- "$old"
        echo "Removed the backup $old (older than $KEEP_DAYS days)."
    fi
done
