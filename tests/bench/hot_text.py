#!/usr/bin/env python3
"""Remakes assets/build/fetch-hot.txt: the functions a `postie fetch` runs.

By hand, when the code a fetch runs has moved a lot (a stale list costs
memory, never correctness):

  POSTIE_NO_HOT_TEXT=1 CARGO_PROFILE_RELEASE_STRIP=false \\
      cargo build --release --target-dir /tmp/hot
  POSTIE_BENCH_HOLD=3000 cargo bench --bench fetch &   # prints port, password
  python3 tests/bench/hot_text.py /tmp/hot/release/postie PORT PASSWORD

It runs a first fetch of the held mailbox and a fetch with nothing new
under valgrind's callgrind (mangled names), keeps the functions of the
postie binary in the order they first ran, and writes them as section-name
patterns: crate and symbol hashes and LTO clone numbers become `*`, since
they differ between builds and profiles.
"""
import os
import re
import subprocess
import sys
import tempfile

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "build", "fetch-hot.txt")
HEADER = """# The functions a `postie fetch` runs (a first fetch of 10,005 messages and
# a fetch with nothing new, plain POP3), as section-name patterns: crate
# hashes, symbol hashes and LTO clone numbers are `*`, so the list survives
# rebuilds. build.rs turns it into a linker script that puts these functions
# next to each other at the start of the program's code: a fetch then maps
# ~2.5 MB of code instead of ~6 MB (the kernel maps 64 KB around every page
# touched). Made by tests/bench/hot_text.py; see BENCHMARKS.md ("Binary
# layout"). A stale line costs memory, never correctness.
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
    p = re.sub(r"\.\d+$", "", name)
    p = re.sub(r"Cs[0-9A-Za-z]+_(?=\d)", "Cs*_", p)
    if name.startswith("_R"):
        p = re.sub(r"B[0-9A-Za-z]*_", "B*_", p)
    p = re.sub(r"17h[0-9a-f]{16}E", "17h*E", p)
    p = re.sub(r"\.llvm\.\d+$", ".llvm.*", p)
    return p if re.fullmatch(r"[A-Za-z0-9_$.*]+", p) else None


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    binary, port, password = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="postie-hot-")
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
    seen, patterns = set(), []
    for run in ("first", "again"):
        profile = os.path.join(work, run + ".callgrind")
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--demangle=no",
             "--callgrind-out-file=" + profile, binary, "fetch", "--quiet"],
            env=env, check=True,
        )
        for name in functions_run(profile):
            p = pattern(name)
            if p and p not in seen:
                seen.add(p)
                patterns.append(p)
    if len(patterns) < 500:
        # valgrind does not place code outside `.text` in its object: a
        # binary linked with the list already shows its functions as `???`.
        sys.exit("only %d functions found: build with POSTIE_NO_HOT_TEXT=1" % len(patterns))
    with open(OUT, "w") as f:
        f.write(HEADER + "\n".join(patterns) + "\n")
    print("%d patterns written to %s" % (len(patterns), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
