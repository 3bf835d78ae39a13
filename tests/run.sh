#!/usr/bin/env bash
# Runs every postie test: formatting, lints, unit tests, and the integration
# tests against a private Dovecot (and, later, the real binary in tmux).
# Installs what the tests need when it is missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-pop3d)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ -x /usr/bin/time ] || need+=(time)
# Python's own mailbox and sqlite3 modules read what postie writes (Debian's Python).
[ -x /usr/bin/python3 ] || need+=(python3)
# The private SMTP server for the sending tests (Debian's Python; dovecot-lda comes with dovecot-core).
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
# A real spam filter as the junk commands (Debian's bogofilter).
command -v bogofilter >/dev/null 2>&1 || need+=(bogofilter)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "tests/run.sh: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "tests/run.sh: missing ${need[*]}; install them (sudo apt-get install ${need[*]}) or the Dovecot tests are skipped (and fail under CI=true)" >&2
  fi
fi

# A clean clone gains nothing from incremental compilation, and its cache is
# as big as the build itself: off under CI (a local run keeps the default).
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
df_before=$(df -Pk . | awk 'NR==2 {print $4}')

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# Doc tests are left out (there are none); the summary line counts every test binary.
log=$(mktemp)
# A test that returns early because a server it needs cannot start (outside
# CI; under CI=true it fails instead) writes a line here: counted as skipped.
export POSTIE_SKIP_LOG=$(mktemp)
trap 'rm -f "$log" "$POSTIE_SKIP_LOG"' EXIT
status=0
cargo test --locked --no-fail-fast --lib --bins --tests 2>&1 | tee "$log" || status=$?
# A fuzz smoke: every target in fuzz/ for a few seconds (POSTIE_FUZZ_SECS,
# default 15; 0 leaves it out of a quick local run). The long runs are by hand.
fuzz="left out (POSTIE_FUZZ_SECS=0)"
fuzz_secs=${POSTIE_FUZZ_SECS:-15}
if [ "$fuzz_secs" != 0 ]; then
  if ! command -v cargo-fuzz >/dev/null 2>&1 && ! cargo install --locked --quiet cargo-fuzz@0.13.2; then
    fuzz="FAILED (cannot install cargo-fuzz)"
    status=1
  elif FUZZ_TIMEOUT=30 fuzz/run.sh "$fuzz_secs"; then
    fuzz="every target, $fuzz_secs s each, nothing found"
  else
    fuzz="FAILED"
    status=1
  fi
fi
# The .deb: built with cargo-deb from the test build's binary, installed with
# dpkg -i, `man -w postie` must find the page, then removed (tests/deb.sh).
deb="left out (needs root for dpkg -i)"
if [ "$(id -u)" = 0 ]; then
  if POSTIE_DEB_PROFILE=dev tests/deb.sh; then
    deb="built, installed with dpkg -i, man -w postie finds the page, removed"
  else
    deb="FAILED"
    status=1
  fi
elif [ "${CI:-}" = true ]; then
  deb="FAILED (CI must run as root to install the .deb)"
  status=1
fi
early=$(wc -l <"$POSTIE_SKIP_LOG")
awk -v early="$early" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "postie tests: %d passed, %d failed, %d skipped\n", p - early, f, s + early }' "$log"
echo "fuzz smoke: $fuzz"
echo ".deb: $deb"
df_after=$(df -Pk . | awk 'NR==2 {print $4}')
echo "disk: $(( (df_before - df_after) / 1048576 )) GB taken by this run, $(( df_after / 1048576 )) GB left"
exit $status
