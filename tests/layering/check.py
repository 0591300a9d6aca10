#!/usr/bin/python3
"""Builds each layering probe (tests/layering/CMakeLists.txt) and checks
that an include up the rooms fails for that include, and that an include
down builds.

usage: check.py BUILD_DIR
"""
import subprocess
import sys

# probe -> the header whose include must be refused (None: must build)
PROBES = {
    "records_includes_schedule": "aggregator/schedule/firing.h",
    "records_includes_service": "aggregator/service/grpc_server.h",
    "schedule_includes_workflows": "aggregator/workflows/service.h",
    "store_includes_records": "aggregator/records/keys.h",
    "common_includes_operator": "operator/node.h",
    "records_includes_store": None,
}


def main():
    build = sys.argv[1]
    failures = []
    for probe, refused in PROBES.items():
        r = subprocess.run(
            ["cmake", "--build", build, "--target", "layering_" + probe],
            capture_output=True, text=True)
        out = r.stdout + r.stderr
        if refused is None:
            ok = r.returncode == 0
            want = "builds"
        else:
            ok = (r.returncode != 0 and
                  "%s: No such file or directory" % refused in out)
            want = "fails: %s not found" % refused
        print("%-30s %s: %s" % (probe, want, "ok" if ok else "NO"))
        if not ok:
            failures.append(probe)
            print(out[-3000:])
    if failures:
        print("layering: FAIL:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
