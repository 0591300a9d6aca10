#!/usr/bin/python3
"""docker/compose.ha.yaml for real: PostgreSQL (docker/postgres.Dockerfile),
two aggregators on it and two operators, brought up as the file's header
says; a workflow runs; the leading aggregator's process is killed with
SIGKILL: the other leads, executions go on, and docker restarts the killed
one; one of the two leads; then everything is torn down with its
volumes.

Shares dockerd, base images and helpers with docker_compose_test.py.

usage: docker_compose_ha_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402
import docker_compose_test as dc  # noqa: E402

PROJECT = "ap-e2e-ha"
AGGREGATORS = ("ap-ha-aggregator-1", "ap-ha-aggregator-2")
CONTAINERS = ("ap-ha-postgres",) + AGGREGATORS + ("ap-ha-operator-1",
                                                  "ap-ha-operator-2")


class HaStack(dc.Stack):
    def __init__(self, src, work):
        self.dir = os.path.join(work, "src", "docker")
        self.ports = {k: ap_e2e.free_port() for k in (
            "AP_PUBLISH_GRPC_1", "AP_PUBLISH_HTTP_1", "AP_PUBLISH_GRPC_2",
            "AP_PUBLISH_HTTP_2")}
        self.env = dict(os.environ, **{k: "127.0.0.1:%d" % p
                                       for k, p in self.ports.items()})
        self.compose = dc.compose_command() + ["-p", PROJECT, "-f",
                                               "compose.ha.yaml"]
        self.tokens = {}

    def write_env(self, token=None):
        with open(os.path.join(self.dir, ".env"), "w") as f:
            f.write("AP_POSTGRES_PASSWORD=e2e-%s\n" % PROJECT)
            for n, t in self.tokens.items():
                f.write("AP_OPERATOR_TOKEN_%d=%s\n" % (n, t))

    def address(self, n=1):
        return "127.0.0.1:%d" % self.ports["AP_PUBLISH_GRPC_%d" % n]

    def ready(self, n):
        return self.http("AP_PUBLISH_HTTP_%d" % n, "/ready") == 200


def leader(stack):
    """1 or 2: the aggregator whose /ready answers 200 (the leader)."""
    found = [n for n in (1, 2) if stack.ready(n)]
    return found[0] if len(found) == 1 else None


def main():
    build, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    work = tempfile.mkdtemp()
    check = ap_e2e.Checks()
    dockerd = dc.start_dockerd(work)
    stack = None
    try:
        r = dc.run([os.path.join(src, "scripts/docker-base.sh")], timeout=900)
        check("the base images are there (scripts/docker-base.sh)",
              r.returncode == 0, r.stdout + r.stderr)
        dc.copy_source(src, work)
        stack = HaStack(src, work)
        stack("down", "-v")
        stack.write_env()
        apctl = dc.Apctl(build, stack)
        t0 = time.monotonic()
        b = stack("build", timeout=2400)
        check("compose builds the images (PostgreSQL from Debian)",
              b.returncode == 0, (b.stdout + b.stderr)[-3000:])
        print("built in %.0f s" % (time.monotonic() - t0))
        r = stack("up", "-d", "postgres")
        check("PostgreSQL comes up healthy", r.returncode == 0 and
              ap_e2e.wait_until(lambda: dc.healthy("ap-ha-postgres"), 120, 1),
              r.stderr)
        r = stack("run", "--rm", "aggregator-1", "keys", "create",
                  "--owner=ops", "--role=admin")
        m = re.search(r"secret: (\S+)", r.stdout)
        check("the first admin key is made offline, in PostgreSQL",
              m is not None, r.stdout + r.stderr)
        apctl.key = m.group(1) if m else ""
        r = stack("up", "-d", "aggregator-1", "aggregator-2")
        check("both aggregators come up healthy", r.returncode == 0 and
              ap_e2e.wait_until(lambda: all(dc.healthy(c)
                                            for c in AGGREGATORS), 120, 1),
              r.stderr)
        check("exactly one is ready (leads)",
              ap_e2e.wait_until(lambda: leader(stack) is not None, 30, 0.5))
        for n in (1, 2):
            r = apctl("operators", "add", "--id=operator-%d" % n)
            t = re.search(r"secret: (\S+)", r.stdout)
            check("operator-%d's token is made online" % n, t is not None,
                  r.stdout + r.stderr)
            stack.tokens[n] = t.group(1) if t else "none"
        stack.write_env()
        r = stack("up", "-d")
        check("the whole stack comes up", r.returncode == 0, r.stderr)
        r = apctl("keys", "create", "--owner=me", "--role=writer")
        writer = re.search(r"secret: (\S+)", r.stdout)
        check("a writer key is made online", writer is not None, r.stderr)
        apctl.key = writer.group(1) if writer else ""
        r = apctl("apply", "-f", "-", stdin=(
            "name: health-every-second\n"
            "trigger: {cron: {schedules: ['* * * * * *']}}\n"
            "steps: [{id: health, http: {url: "
            "'http://aggregator-1:8080/health'}}]\n"))
        m = re.search(r"created \S+ (\w+)", r.stdout)
        check("a workflow is applied", m is not None, r.stdout + r.stderr)
        wid = m.group(1) if m else "none"
        check("its executions succeed in the operator containers",
              ap_e2e.wait_until(lambda: apctl.succeeded(wid) >= 3, 90, 1))

        first = leader(stack)
        check("one leader before the kill", first is not None)
        first = first or 1
        other = 3 - first
        # apctl through the member that was not killed.
        stack.address = lambda n=1: "127.0.0.1:%d" % \
            stack.ports["AP_PUBLISH_GRPC_%d" % other]
        done = apctl.succeeded(wid)
        name = "ap-ha-aggregator-%d" % first
        before = dc.inspect(name)
        os.kill(before["State"]["Pid"], signal.SIGKILL)
        killed = time.monotonic()
        # Docker restarts the killed one within a second or so, as a new
        # holder: whichever asks first once the old lease runs out leads.
        check("a leader again after the SIGKILL",
              ap_e2e.wait_until(lambda: leader(stack) is not None, 30, 0.2))
        print("leader killed: aggregator-%s ready %.1f s later" % (
            leader(stack), time.monotonic() - killed))
        check("executions go on under the new leader",
              ap_e2e.wait_until(lambda: apctl.succeeded(wid) >= done + 3, 60,
                                1))
        check("docker restarts the killed one, healthy",
              ap_e2e.wait_until(lambda: dc.inspect(name)["RestartCount"] >
                                before["RestartCount"] and dc.healthy(name),
                                120, 1))
        check("and exactly one of the two leads",
              ap_e2e.wait_until(lambda: leader(stack) is not None, 10, 0.5))
    except Exception as e:  # a crash of the test is a failure too
        import traceback
        traceback.print_exc()
        check("ran to the end", False, repr(e))
    finally:
        dc.tear_down(stack, CONTAINERS, check, dockerd, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
