#!/usr/bin/env python3
"""Remakes assets/build/fetch-hot.txt or reader-hot.txt: the functions a
`postie fetch`, or the reader's cold list, runs.

By hand, when the code they run has moved a lot (a stale list costs
memory, never correctness):

  POSTIE_NO_HOT_TEXT=1 CARGO_PROFILE_RELEASE_STRIP=false \\
      cargo build --release --target-dir /tmp/hot
  POSTIE_BENCH_HOLD=3000 cargo bench --bench fetch &   # prints port, password
  python3 tests/bench/hot_text.py fetch /tmp/hot/release/postie PORT PASSWORD
  POSTIE_BENCH_HOLD=3000 POSTIE_BENCH_SIZES=10000 cargo bench --bench scale &
  python3 tests/bench/hot_text.py reader /tmp/hot/release/postie PORT USER PASSWORD

`fetch` runs a first fetch of the held mailbox and a fetch with nothing
new; `reader` runs the reader in tmux until its list is complete, then
quits it; both under valgrind's callgrind (mangled names). The functions of
the postie binary are kept in the order they first ran and written as
section-name patterns: crate and symbol hashes and LTO clone numbers become
`*`, since they differ between builds and profiles.
"""
import os
import re
import subprocess
import sys
import tempfile

BUILD = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "build")
HEADERS = {}
HEADERS["fetch"] = """# The functions a `postie fetch` runs (a first fetch of 10,005 messages and
# a fetch with nothing new, plain POP3), as section-name patterns: crate
# hashes, symbol hashes and LTO clone numbers are `*`, so the list survives
# rebuilds. build.rs turns it into a linker script that puts these functions
# next to each other at the start of the program's code: a fetch then maps
# ~2.5 MB of code instead of ~6 MB (the kernel maps 64 KB around every page
# touched). Made by tests/bench/hot_text.py fetch; see BENCHMARKS.md
# ("Binary layout"). A stale line costs memory, never correctness.
"""
HEADERS["reader"] = """# The functions the reader runs for a cold list (100,000 messages, plain
# POP3, 80x24 in tmux, then q), as section-name patterns like fetch-hot.txt.
# build.rs places them after fetch-hot.txt's (a fetch maps no more than
# before): the reader then maps a few MB less of code. Made by
# tests/bench/hot_text.py reader; see BENCHMARKS.md ("Binary layout").
"""



def functions_run(profile):
    """Names of the functions in the postie object, in the order first seen."""
    names, objs, fns, obj = [], {}, {}, None
    with open(profile, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^(c?ob)=\((\d+)\)(?: (.*))?$", line)
            if m:
                if m.group(3):
                    objs[m.group(2)] = m.group(3)
                if m.group(1) == "ob":
                    obj = objs.get(m.group(2))
                continue
            m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line)
            if m:
                if m.group(3):
                    fns[m.group(2)] = m.group(3)
                if m.group(1) == "fn" and obj and os.path.basename(obj) == "postie":
                    name = fns.get(m.group(2))
                    if name:
                        names.append(re.sub(r"'\d+$", "", name))
    return names


def pattern(name):
    if name.startswith("0x"):
        return None  # code valgrind has no name for
    p = re.sub(r"\.\d+$", "", name)
    p = re.sub(r"Cs[0-9A-Za-z]+_(?=\d)", "Cs*_", p)
    if name.startswith("_R"):
        p = re.sub(r"B[0-9A-Za-z]*_", "B*_", p)
    p = re.sub(r"17h[0-9a-f]{16}E", "17h*E", p)
    p = re.sub(r"\.llvm\.\d+$", ".llvm.*", p)
    return p if re.fullmatch(r"[A-Za-z0-9_$.*]+", p) else None


def profile_fetch(binary, work, port, password):
    config = os.path.join(work, "config.toml")
    with open(config, "w") as f:
        f.write(
            '[accounts.hot]\nhost = "127.0.0.1"\nport = %s\ntls = "none"\n'
            'user = "big"\nauth = "user"\nleave_on_server = "always"\n' % port
        )
    os.chmod(config, 0o600)
    env = dict(
        os.environ,
        POSTIE_CONFIG=config,
        XDG_DATA_HOME=os.path.join(work, "data"),
        XDG_STATE_HOME=os.path.join(work, "state"),
        POSTIE_PASSWORD=password,
    )
    profiles = []
    for run in ("first", "again"):
        profile = os.path.join(work, run + ".callgrind")
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--demangle=no",
             "--callgrind-out-file=" + profile, binary, "fetch", "--quiet"],
            env=env, check=True,
        )
        profiles.append(profile)
    return profiles


def profile_reader(binary, work, port, user, password):
    import shlex
    import time
    config = os.path.join(work, "config.toml")
    with open(config, "w") as f:
        f.write(
            '[accounts.hot]\nhost = "127.0.0.1"\nport = %s\ntls = "none"\n'
            'user = "%s"\nauth = "user"\n' % (port, user)
        )
    os.chmod(config, 0o600)
    profile = os.path.join(work, "reader.callgrind")
    timings = os.path.join(work, "timings")
    env = {
        "HOME": work, "POSTIE_CONFIG": config, "POSTIE_PASSWORD": password,
        "XDG_DATA_HOME": os.path.join(work, "data"),
        "XDG_STATE_HOME": os.path.join(work, "state"),
        "XDG_CACHE_HOME": os.path.join(work, "cache"),
        "POSTIE_TIMINGS": timings, "TERM": "xterm-256color",
    }
    command = "env %s valgrind --tool=callgrind --demangle=no --callgrind-out-file=%s %s" % (
        " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in env.items()),
        shlex.quote(profile), shlex.quote(binary))
    session = "postie-hot-%d" % os.getpid()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command],
                   check=True)
    try:
        for _ in range(3000):
            time.sleep(0.2)
            if os.path.exists(timings) and "list-complete" in open(timings).read():
                break
        else:
            sys.exit("the reader's list did not complete in 10 minutes")
        time.sleep(1)
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        # The session ends with the reader; callgrind writes its profile as
        # the process exits.
        for _ in range(600):
            time.sleep(0.2)
            if subprocess.run(["tmux", "has-session", "-t", session],
                              stderr=subprocess.DEVNULL).returncode != 0:
                break
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False,
                       stderr=subprocess.DEVNULL)
    return [profile]


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    wanted = {"fetch": 5, "reader": 6}
    if kind not in wanted or len(sys.argv) != wanted[kind]:
        sys.exit(__doc__)
    binary = sys.argv[2]
    work = tempfile.mkdtemp(prefix="postie-hot-")
    if kind == "fetch":
        profiles = profile_fetch(binary, work, *sys.argv[3:])
    else:
        profiles = profile_reader(binary, work, *sys.argv[3:])
    seen, patterns = set(), []
    for profile in profiles:
        for name in functions_run(profile):
            p = pattern(name)
            if p and p not in seen:
                seen.add(p)
                patterns.append(p)
    if len(patterns) < 500:
        # valgrind does not place code outside `.text` in its object: a
        # binary linked with the list already shows its functions as `???`.
        sys.exit("only %d functions found: build with POSTIE_NO_HOT_TEXT=1" % len(patterns))
    out = os.path.join(BUILD, kind + "-hot.txt")
    with open(out, "w") as f:
        f.write(HEADERS[kind] + "\n".join(patterns) + "\n")
    print("%d patterns written to %s" % (len(patterns), os.path.normpath(out)))


if __name__ == "__main__":
    main()
