#!/usr/bin/python3
"""`apctl workflow delete` while an execution runs stops what runs, as
cancel does: a real aggregator and operator, a command step that would
sleep for 40 s, and the process is gone within seconds of the delete.

usage: delete_running_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402

# An argument no other process on the machine has, to find the child.
SLEEP = "40.0417"


def sleeping():
    r = subprocess.run(["pgrep", "-f", "^/bin/sleep " + SLEEP + "$"],
                       capture_output=True, text=True)
    return r.stdout.split()


def main():
    build = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp()
    check = ap_e2e.Checks()
    agg = ap_e2e.Aggregator(build, work)
    op = None
    try:
        key = agg.secret("keys", "create", "--owner=me", "--role=writer")
        token = agg.secret("operators", "add", "--id=op-1")
        agg.start()
        op = ap_e2e.Operator(build, work, [agg.address()], token,
                             extra=["--allowed-commands=/bin/sleep"])
        op.start()
        env = dict(os.environ, AP_AGGREGATOR=agg.address(), AP_API_KEY=key)
        apctl = os.path.join(build, "cli/apctl")

        def run(*args, stdin=None):
            return subprocess.run([apctl] + list(args), input=stdin, env=env,
                                  capture_output=True, text=True, timeout=30)

        created = run("workflow", "create", "-f", "-", stdin=(
            "name: long\ntrigger: {manual: {}}\n"
            "steps: [{id: nap, command: {argv: [/bin/sleep, '%s']}}]\n"
            % SLEEP))
        check("the workflow is created", created.returncode == 0,
              created.stderr)
        wid = re.search(r"\n(\w{26}) ", created.stdout).group(1)
        check("it is triggered", run("workflow", "trigger", wid).returncode == 0)
        check("its command runs", ap_e2e.wait_until(sleeping, 20),
              op.log()[-2000:])
        deleted = run("workflow", "delete", wid)
        check("delete answers", deleted.returncode == 0 and
              "deleted" in deleted.stdout, deleted.stderr)
        check("the running command is stopped within 5 s of the delete",
              ap_e2e.wait_until(lambda: not sleeping(), 5), str(sleeping()))
        check("the workflow is gone",
              run("workflow", "get", wid).returncode == 1)
    finally:
        if op:
            op.kill()
        for pid in sleeping():
            subprocess.run(["kill", "-9", pid])
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
