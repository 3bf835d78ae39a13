#!/usr/bin/env bash
# Runs every fuzz target for SECS seconds (default 60) with cargo-fuzz and
# libFuzzer, on the stable toolchain: no sanitizer (`-s none`), with
# RUSTC_BOOTSTRAP=1 for the few unstable flags cargo-fuzz passes. Seed
# corpora come from tests/fixtures/ (messages), the demo mailbox and the
# shipped provider table. Prints each target's executions and coverage.
# Run by hand: [RUNS=N] fuzz/run.sh [SECS] [TARGET...]   (cargo install cargo-fuzz first);
# each target stops at SECS seconds or N executions, whichever comes first.
# tests/run.sh runs it for a few seconds a target as a smoke test. Exits
# non-zero when any target crashed, hung (FUZZ_TIMEOUT seconds, default 10,
# for one input) or ran out of memory.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
# Default: every target fuzz/Cargo.toml declares.
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets (cargo fuzz list gave none)"; exit 1; }
export RUSTC_BOOTSTRAP=1
failed=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  case "$t" in
    mime_render|limit_and_threads|codec_replies)
      cp ../tests/fixtures/*.eml ../assets/demo/*.eml "corpus/$t/" 2>/dev/null || true ;;
    config_loader) cp ../assets/providers.toml "corpus/$t/" ;;
    sasl_error) printf 'eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJwcm9maWxlIn0K' > "corpus/$t/seed" ;;
    draft_parser) printf 'From: a@b\nTo: c@d\nSubject: x\n\nbody\n' > "corpus/$t/seed" ;;
    pop3_session)  # flags, ending, deletions, then the server's replies split at 0xFF
      printf '\x01\x00\x02+OK <1.2@h>\r\n\xff+OK\r\nPIPELINING\r\nUIDL\r\nTOP\r\n.\r\n\xff+OK\r\n\xff+OK\r\n\xff+OK\r\n1 a\r\n2 b\r\n.\r\n\xff+OK\r\n1 10\r\n2 20\r\n.\r\n\xff+OK\r\nSubject: x\r\n\r\n.\r\n\xff+OK\r\nSubject: y\r\n\r\n.\r\n\xff+OK\r\nbody\r\n.\r\n\xff+OK\r\n\xff+OK\r\n\xff+OK bye\r\n' > "corpus/$t/seed" ;;
    index_loader) printf '\x00\x10\x00\x41' > "corpus/$t/seed" ;;  # one patch over a real index
    file_names) printf '报告 (1).pdf' > "corpus/$t/seed" ;;
  esac
  log=$(mktemp)
  # Progress shows as it comes (a long run by hand); the exit status is cargo fuzz's.
  set +e
  cargo fuzz run -s none -O "$t" -- -max_total_time="$secs" ${RUNS:+-runs=$RUNS} -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-10}" 2>&1 | tee "$log" | grep -E "^#[0-9]+.*(DONE|pulse)|SUMMARY|panicked|deadly"
  rc=${PIPESTATUS[0]}
  set -e
  last=$(grep -E "^#[0-9]+" "$log" | tail -1 || true)
  if [ "$rc" -ne 0 ]; then
    # A crash, a timeout, an out-of-memory or a build failure: show why.
    tail -40 "$log"
    echo "== $t: FAILED (exit $rc; an input that crashed or hung is kept under fuzz/artifacts/$t/)"
    failed+=("$t")
  else
    echo "== $t: ${last:-no runs}"
  fi
  rm -f "$log"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
