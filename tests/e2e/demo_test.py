#!/usr/bin/python3
"""The README's run command (scripts/run.sh) as a person runs it: executions
of the demo workflow show up within 15 s, Ctrl-C (SIGINT to its process
group, as a terminal sends it) stops everything and leaves no process
behind, and a second run reuses the data, the credentials and the workflow.

usage: demo_test.py BUILD_DIR SOURCE_DIR
"""
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402


def processes_using(path):
    """PIDs whose command line mentions `path`."""
    out = subprocess.run(["pgrep", "-f", path], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


def describe(pids):
    out = []
    for pid in pids:
        try:
            out.append(open("/proc/%d/cmdline" % pid).read().replace("\0", " "))
        except OSError:
            out.append(str(pid))
    return "; ".join(out) or "nothing"


def run_demo(src, env, demo, check, label):
    start = time.monotonic()
    proc = subprocess.Popen([os.path.join(src, "scripts", "run.sh")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    lines, succeeded, first_at = [], 0, None
    deadline = start + 60  # the build is already there; this is a bound
    while time.monotonic() < deadline and succeeded < 2:
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        line = proc.stdout.readline().decode(errors="replace")
        if not line:
            break
        lines.append(line)
        if " SUCCEEDED " in line:
            succeeded += 1
            first_at = first_at or time.monotonic() - start
    check(label + ": executions arrive within 15 s",
          succeeded >= 2 and first_at is not None and first_at <= 15,
          "first after %s s; output:\n%s" % (first_at, "".join(lines)))
    check(label + ": the console's address is printed",
          any("/console/" in l for l in lines))
    os.killpg(proc.pid, signal.SIGINT)
    left = "nothing"
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        # Say what was still running, then end it all: the servers hold
        # the output pipe, so reading it would block until they exit.
        pids = processes_using(demo)
        code, left = None, describe(pids)
        for pid in pids + [proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
    rest = proc.stdout.read().decode(errors="replace")
    check(label + ": Ctrl-C stops it", code is not None and "stopped" in rest,
          "exit %s; still running: %s; output: %s" % (
              code, left, rest))
    return "".join(lines)


def main():
    build, src = sys.argv[1], sys.argv[2]
    check = ap_e2e.Checks()
    work = tempfile.mkdtemp()
    demo = os.path.join(work, "demo")
    env = dict(os.environ, BUILD_DIR=os.path.abspath(build), AP_DEMO_DIR=demo,
               AP_DEMO_GRPC="127.0.0.1:%d" % ap_e2e.free_port(),
               AP_DEMO_HTTP="127.0.0.1:%d" % ap_e2e.free_port(),
               AP_DEMO_OPERATOR_HTTP="127.0.0.1:%d" % ap_e2e.free_port())
    try:
        first = run_demo(src, env, demo, check, "first run")
        check("no process is left behind",
              wait_gone(demo), str(processes_using(demo)))
        creds = open(os.path.join(demo, "credentials.env")).read()
        check("credentials are kept private",
              oct(os.stat(os.path.join(demo, "credentials.env")).st_mode
                  & 0o777) == "0o600" and "AP_API_KEY=apk_" in creds)
        second = run_demo(src, env, demo, check, "second run")
        workflow = [l for l in first.splitlines() if "firing every 5 s" in l]
        check("the second run reuses the workflow",
              workflow and workflow[0] in second, second)
        check("no process is left behind after the second run",
              wait_gone(demo), str(processes_using(demo)))
    finally:
        for pid in processes_using(demo):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(work, ignore_errors=True)
    return check.finish()


def wait_gone(path, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not processes_using(path):
            return True
        time.sleep(0.1)
    return False


if __name__ == "__main__":
    sys.exit(main())
