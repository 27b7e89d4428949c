#!/usr/bin/env bash
# Installs a built imedge (after `npm ci && npm run build`) as a systemd service.
#
#   sudo scripts/install.sh                 # install to /opt/imedge and enable
#   DESTDIR=/tmp/root scripts/install.sh    # stage into a root (packaging, tests):
#                                           # no user creation, no systemctl
#
# Idempotent: a second run with the same build changes no file. The user's
# /etc/imedge/imedge.yaml is never overwritten.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: install.sh [--prefix DIR] [--destdir DIR] [--source DIR]
  --prefix DIR   application directory (default /opt/imedge); the unit's
                 ExecStart is rewritten to match
  --destdir DIR  stage everything under DIR (same as DESTDIR=DIR): no user is
                 created and systemd is not touched; the actions are printed
  --source DIR   the built imedge tree (default: this script's repository)
EOF
}

say() { printf 'imedge install: %s\n' "$*"; }
die() { printf 'imedge install: error: %s\n' "$*" >&2; exit 1; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE=$(cd "$SCRIPT_DIR/.." && pwd)
PREFIX=/opt/imedge
DESTDIR=${DESTDIR:-}
SERVICE_USER=imedge

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
    --destdir) [ $# -ge 2 ] || die "--destdir needs a directory"; DESTDIR=$2; shift 2 ;;
    --source) [ $# -ge 2 ] || die "--source needs a directory"; SOURCE=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path: $PREFIX" ;; esac
if [ -n "$DESTDIR" ]; then
  mkdir -p "$DESTDIR"
  DESTDIR=$(cd "$DESTDIR" && pwd)
elif [ "$(id -u)" -ne 0 ]; then
  die "run as root, or set DESTDIR to stage into a directory"
fi

[ -f "$SOURCE/package.json" ] || die "no package.json in $SOURCE"
[ -f "$SOURCE/dist/src/cli/main.js" ] || die "$SOURCE/dist/src/cli/main.js is missing: run 'npm ci && npm run build' first"
[ -d "$SOURCE/node_modules" ] || die "$SOURCE/node_modules is missing: run 'npm ci' first"
[ -f "$SOURCE/systemd/imedge.service" ] || die "$SOURCE/systemd/imedge.service is missing"

APP_DIR="$DESTDIR$PREFIX"
ETC_DIR="$DESTDIR/etc/imedge"
UNIT_DIR="$DESTDIR/etc/systemd/system"

# Without DESTDIR we are root on the target; with it, print instead of acting.
run_or_print() {
  if [ -n "$DESTDIR" ]; then
    say "would run: $*"
  else
    "$@"
  fi
}

# Copies a tree so that unchanged files are not rewritten (-u with preserved
# times) and files gone from the build are removed from the installation.
sync_tree() {
  local from=$1 to=$2
  mkdir -p "$to"
  cp -R -p -u --no-preserve=ownership "$from/." "$to/"
  local stale
  while IFS= read -r -d '' stale; do
    if [ ! -e "$from/${stale#./}" ] && [ ! -L "$from/${stale#./}" ]; then
      say "removing stale ${to#"$DESTDIR"}/${stale#./}"
      rm -rf -- "${to:?}/${stale#./}"
    fi
  done < <(cd "$to" && find . -mindepth 1 -depth -print0)
}

# Installs one file only when its content differs.
install_file() {
  local mode=$1 from=$2 to=$3
  if [ -f "$to" ] && cmp -s "$from" "$to"; then
    return 0
  fi
  say "writing ${to#"$DESTDIR"}"
  install -D -m "$mode" "$from" "$to"
}

say "installing $SOURCE into ${DESTDIR:+$DESTDIR}$PREFIX"

# 1. Application files: package files, build output, dependencies, board profiles.
mkdir -p "$APP_DIR"
for f in package.json package-lock.json README.md LICENSE; do
  if [ -f "$SOURCE/$f" ]; then install_file 0644 "$SOURCE/$f" "$APP_DIR/$f"; fi
done
sync_tree "$SOURCE/dist" "$APP_DIR/dist"
sync_tree "$SOURCE/node_modules" "$APP_DIR/node_modules"
if [ -d "$SOURCE/board" ]; then sync_tree "$SOURCE/board" "$APP_DIR/board"; fi
if [ -d "$SOURCE/ui" ]; then sync_tree "$SOURCE/ui" "$APP_DIR/ui"; fi

# 2. Service user, in dialout for the watchdog UART.
if [ -n "$DESTDIR" ]; then
  say "would run: useradd --system --user-group --home-dir /var/lib/imedge --no-create-home --shell /usr/sbin/nologin $SERVICE_USER (if absent)"
  say "would run: usermod -a -G dialout $SERVICE_USER"
else
  if ! getent passwd "$SERVICE_USER" >/dev/null; then
    say "creating system user $SERVICE_USER"
    useradd --system --user-group --home-dir /var/lib/imedge --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  fi
  if ! id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx dialout; then
    say "adding $SERVICE_USER to group dialout"
    usermod -a -G dialout "$SERVICE_USER"
  fi
fi

# 3. Configuration: created once, never overwritten (it is the user's).
mkdir -p "$ETC_DIR"
if [ -e "$ETC_DIR/imedge.yaml" ]; then
  say "keeping existing /etc/imedge/imedge.yaml"
else
  say "writing /etc/imedge/imedge.yaml (default configuration)"
  install -m 0640 "$SOURCE/systemd/imedge.yaml" "$ETC_DIR/imedge.yaml"
  # It may hold digest credentials: readable by the service group only.
  run_or_print chgrp "$SERVICE_USER" "$ETC_DIR/imedge.yaml"
fi

# 4. systemd unit, pointing at the chosen prefix.
unit_tmp=$(mktemp)
trap 'rm -f "$unit_tmp"' EXIT
sed "s#/opt/imedge/#$PREFIX/#g" "$SOURCE/systemd/imedge.service" >"$unit_tmp"
unit_changed=no
if ! { [ -f "$UNIT_DIR/imedge.service" ] && cmp -s "$unit_tmp" "$UNIT_DIR/imedge.service"; }; then
  unit_changed=yes
fi
install_file 0644 "$unit_tmp" "$UNIT_DIR/imedge.service"

# 5. Enable (not start: the user reviews the configuration first).
if [ -n "$DESTDIR" ]; then
  say "would run: systemctl daemon-reload && systemctl enable imedge.service"
elif command -v systemctl >/dev/null 2>&1; then
  if [ "$unit_changed" = yes ]; then systemctl daemon-reload; fi
  systemctl enable imedge.service
else
  say "systemctl not found: enable imedge.service by hand"
fi

say "done. Edit /etc/imedge/imedge.yaml, then: systemctl start imedge"
