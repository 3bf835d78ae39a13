#!/usr/bin/env bash
# Builds postie's .deb with cargo-deb and installs it on this machine with
# dpkg -i, then checks what a user would: `man -w postie` (and the config and
# keys pages) finds the pages, the binary runs, the shell completions are in
# place; then removes the package again. Needs root (dpkg).
#
# POSTIE_DEB_PROFILE=dev packages the debug binary the tests built (what
# tests/run.sh does, to spare CI a second, LTO build); a release is simply
# `cargo deb`, which builds with the release profile.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${POSTIE_DEB_PROFILE:-release}
if [ "$(id -u)" != 0 ]; then
  echo "tests/deb.sh: needs root (dpkg -i)" >&2
  exit 1
fi
command -v cargo-deb >/dev/null 2>&1 || cargo install --locked --quiet cargo-deb@3.8.0 ||
  { echo "tests/deb.sh: cannot install cargo-deb" >&2; exit 1; }
echo "tests/deb.sh: $(cargo deb --version 2>&1)"
command -v man >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db >/dev/null
if dpkg -s postie >/dev/null 2>&1; then
  echo "tests/deb.sh: a postie package is installed already; leaving it alone" >&2
  exit 1
fi
# cargo deb's own words are kept and shown when it fails (a CI run that only
# says "FAILED" tells nobody why).
cargo_log=$(mktemp)
trap 'rm -f "$cargo_log"' EXIT
make_deb() { cargo deb --locked --profile "$profile" >"$cargo_log" 2>&1; }
if ! make_deb; then
  echo "tests/deb.sh: cargo deb failed (exit $?); what it printed:" >&2
  tail -n 40 "$cargo_log" >&2
  echo "tests/deb.sh: disk: $(df -h . | tail -n 1)" >&2
  echo "tests/deb.sh: trying once more" >&2
  make_deb || { tail -n 40 "$cargo_log" >&2; exit 1; }
fi
deb=$(grep -E '\.deb$' "$cargo_log" | tail -n 1)
[ -f "$deb" ] || { echo "tests/deb.sh: cargo deb made no package; it printed:" >&2; tail -n 40 "$cargo_log" >&2; exit 1; }
trap 'rm -f "$cargo_log"; dpkg -r postie >/dev/null 2>&1 || true' EXIT
# Minimal images may exclude /usr/share/man from packages: the pages are the point here.
dpkg -i --path-include='/usr/share/man/*' "$deb" >/dev/null ||
  { echo "tests/deb.sh: dpkg -i $deb failed" >&2; exit 1; }
fail=0
check() { if "$@" >/dev/null 2>&1; then echo "  ok: $*"; else echo "  FAILED: $*"; fail=1; fi; }
echo "tests/deb.sh: installed $(basename "$deb")"
check man -w postie
check man -w postie-fetch
check man -w 5 postie-config
check man -w 7 postie-keys
check /usr/bin/postie --version
check test -s /usr/share/bash-completion/completions/postie
check test -s /usr/share/zsh/vendor-completions/_postie
check test -s /usr/share/fish/vendor_completions.d/postie.fish
check bash -c 'source /usr/share/bash-completion/completions/postie && complete -p postie'
# The page man finds is the one shipped, not a leftover.
check bash -c 'man -w postie | grep -q "^/usr/share/man/man1/postie.1"'
dpkg -r postie >/dev/null
check bash -c '! test -e /usr/bin/postie'
exit $fail
