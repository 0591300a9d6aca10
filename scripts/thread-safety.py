#!/usr/bin/python3
"""Checks the project's lock annotations (ABSL_GUARDED_BY,
ABSL_EXCLUSIVE_LOCKS_REQUIRED, ABSL_LOCK_RETURNED, ...) with clang's
-Wthread-safety, as errors, on every source file of aggregator/, operator/,
common/ and cli/, using the flags of the build's compile_commands.json
(a syntax-only pass: nothing is built). Exits non-zero on any finding.

usage: scripts/thread-safety.py [BUILD_DIR]   (default build/)
"""
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys

ROOMS = ("aggregator/", "operator/", "common/", "cli/")
# gcc's warning flags; clang is asked for thread safety alone.
DROP = ("-Wall", "-Wextra", "-Wpedantic")


def command_for(entry, src):
    args = shlex.split(entry["command"])
    out, skip = ["clang++"], False
    for a in args[1:]:
        if skip:
            skip = False
        elif a in ("-o", "-c"):
            skip = True
        elif a not in DROP and not a.startswith("-Wno-"):
            out.append(a)
    return out + ["-fsyntax-only", "-Wthread-safety", "-Wthread-safety-beta",
                  "-Werror=thread-safety", "-Werror=thread-safety-beta",
                  entry["file"]]


# Reads a guarded member without its lock: the check must refuse it, or
# the flags do not turn the analysis on and a pass would mean nothing.
VIOLATION = """
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
struct Counter {
  absl::Mutex mu;
  int n ABSL_GUARDED_BY(mu) = 0;
  int Read() { return n; }
};
"""


def self_test(entry, src, work):
    path = os.path.join(work, "thread_safety_violation.cc")
    with open(path, "w") as f:
        f.write(VIOLATION)
    probe = dict(entry, file=path)
    r = subprocess.run(command_for(probe, src), cwd=entry["directory"],
                       capture_output=True, text=True)
    return r.returncode != 0 and "requires holding mutex" in r.stderr


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = [e for e in json.load(f)
                   if os.path.relpath(e["file"], src).startswith(ROOMS)]
    if not entries:
        sys.exit("thread-safety: no sources in %s/compile_commands.json" %
                 build)
    import tempfile
    with tempfile.TemporaryDirectory() as work:
        if not self_test(entries[0], src, work):
            print("thread-safety: FAIL: a read of a guarded member without "
                  "its lock passed the check; the analysis is not on")
            return 1

    def check(entry):
        r = subprocess.run(command_for(entry, src), cwd=entry["directory"],
                           capture_output=True, text=True)
        return entry["file"], r.returncode, r.stderr

    failed = 0
    jobs = int(os.environ.get("JOBS", "2"))
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for path, rc, err in pool.map(check, entries):
            if rc != 0:
                failed += 1
                print(err, end="")
    print("thread-safety: %d files checked, %d with findings" %
          (len(entries), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
