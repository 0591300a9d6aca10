#!/usr/bin/python3
"""The docker stack for real: docker/Dockerfile's images built, the
compose stack brought up as docs/operations.md says, a workflow run by
the operator container, a crash of the aggregator's process, down/up with
kept volumes, and everything torn down again.

It starts dockerd when none runs (and stops only what it started), makes
the debian:bookworm base images with scripts/docker-base.sh when docker
lacks them, and works on a scratch copy of the source whose docker/.env
holds a sentinel secret during the build, to show that .dockerignore keeps
it out of the images. Host ports are free ones on 127.0.0.1 (through the
compose file's AP_PUBLISH_* variables). Images stay in docker's cache for
the next run; containers, volumes and the network go. If the engine cannot
start, the test fails saying why.

usage: docker_compose_test.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402

PROJECT = "ap-e2e"
CONTAINERS = ("aggregator-base", "operator-base")


def run(args, timeout=120, **kw):
    return subprocess.run(args, capture_output=True, text=True,
                          timeout=timeout, **kw)


def engine_up():
    return run(["docker", "info"], timeout=30).returncode == 0


def start_dockerd(work):
    """Starts dockerd if none answers; returns the process it started."""
    if engine_up():
        return None
    if shutil.which("dockerd") is None:
        sys.exit("FAIL: no docker engine runs and dockerd is not installed "
                 "(scripts/install-deps.sh installs docker.io)")
    log = open(os.path.join(work, "dockerd.log"), "w")
    proc = subprocess.Popen(["dockerd"], stdout=log, stderr=log)
    if not ap_e2e.wait_until(engine_up, 60, step=0.5):
        proc.terminate()
        proc.wait(timeout=30)
        with open(os.path.join(work, "dockerd.log")) as f:
            sys.exit("FAIL: dockerd did not start:\n" + f.read()[-3000:])
    return proc


def compose_command():
    """compose v2 (`docker compose`) if the CLI has it, else v1."""
    if run(["docker", "compose", "version"]).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"]


class Stack:
    def __init__(self, src, work):
        self.dir = os.path.join(work, "src", "docker")
        self.ports = {k: ap_e2e.free_port() for k in
                      ("AP_PUBLISH_GRPC", "AP_PUBLISH_HTTP",
                       "AP_PUBLISH_OPERATOR_HTTP")}
        self.env = dict(os.environ, **{k: "127.0.0.1:%d" % p
                                       for k, p in self.ports.items()})
        self.compose = compose_command() + ["-p", PROJECT]

    def __call__(self, *args, timeout=300):
        return run(self.compose + list(args), timeout=timeout, cwd=self.dir,
                   env=self.env)

    def write_env(self, token):
        with open(os.path.join(self.dir, ".env"), "w") as f:
            f.write("AP_OPERATOR_TOKEN=%s\n" % token)

    def address(self):
        return "127.0.0.1:%d" % self.ports["AP_PUBLISH_GRPC"]

    def http(self, key, path):
        url = "http://127.0.0.1:%d%s" % (self.ports[key], path)
        try:
            return urllib.request.urlopen(url, timeout=5).status
        except Exception as e:  # noqa: BLE001 (an HTTP error is an answer)
            return getattr(e, "code", None)


def inspect(container):
    r = run(["docker", "inspect", container])
    return json.loads(r.stdout)[0] if r.returncode == 0 else None


def healthy(container):
    info = inspect(container)
    return bool(info) and info["State"].get("Health", {}).get(
        "Status") == "healthy"


def copy_source(src, work):
    dst = os.path.join(work, "src")
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
        "build", "build-*", "build_*", ".git", "demo", ".env"))
    return dst


class Apctl:
    def __init__(self, build, stack):
        self.binary = os.path.join(build, "cli/apctl")
        self.stack = stack
        self.key = ""

    def __call__(self, *args, stdin=None):
        env = dict(os.environ, AP_AGGREGATOR=self.stack.address(),
                   AP_API_KEY=self.key)
        return run([self.binary, "--timeout=5s"] + list(args), input=stdin,
                   env=env, timeout=60)

    def succeeded(self, wid):
        r = self("-o", "json", "executions", wid, "--status=succeeded",
                 "--limit=1000")
        return len(json.loads(r.stdout).get("executions", [])) \
            if r.returncode == 0 else -1


def build_and_check_images(stack, check):
    t0 = time.monotonic()
    b = stack("build", timeout=2400)
    check("compose builds both images from docker/Dockerfile",
          b.returncode == 0, (b.stdout + b.stderr)[-3000:])
    print("built in %.0f s" % (time.monotonic() - t0))
    check("the build log has no useradd warning",
          "SYS_UID_MAX" not in b.stdout + b.stderr)
    sentinel = open(os.path.join(stack.dir, ".env")).read().split("=")[1]
    for image in ("ap-aggregator:latest", "ap-operator:latest"):
        saved = subprocess.run(["docker", "save", image],
                               capture_output=True, timeout=300).stdout
        history = run(["docker", "history", "--no-trunc", image]).stdout
        check("%s holds no secret of docker/.env (layers and history)" % image,
              saved and sentinel.strip().encode() not in saved and
              sentinel.strip() not in history)
        size = json.loads(run(["docker", "image", "inspect", image]).stdout)[0][
            "Size"]
        print("%s: %.0f MB" % (image, size / 1e6))
    for image, binary in (("ap-aggregator:latest", "aggregator"),
                          ("ap-operator:latest", "operator")):
        cid = run(["docker", "create", image]).stdout.strip()
        out = os.path.join(stack.dir, binary + ".bin")
        run(["docker", "cp", "%s:/usr/local/bin/%s" % (cid, binary), out])
        run(["docker", "rm", cid])
        sections = run(["readelf", "-S", out]).stdout
        check("%s in its image is stripped" % binary,
              ".text" in sections and ".debug_info" not in sections and
              ".symtab" not in sections)


def bring_up(stack, apctl, check):
    """The documented flow: first admin key offline, then online."""
    r = stack("run", "--rm", "aggregator", "keys", "create", "--owner=ops",
              "--role=admin")
    m = re.search(r"secret: (\S+)", r.stdout)
    check("the first admin key is made offline (compose run)", m is not None,
          r.stdout + r.stderr)
    apctl.key = m.group(1) if m else ""
    r = stack("up", "-d", "aggregator")
    check("the aggregator comes up", r.returncode == 0, r.stderr)
    check("the aggregator turns healthy",
          ap_e2e.wait_until(lambda: healthy("aggregator-base"), 120, 1))
    r = apctl("operators", "add", "--id=operator-base")
    token = re.search(r"secret: (\S+)", r.stdout)
    check("the operator token is made online", token is not None,
          r.stdout + r.stderr)
    stack.write_env(token.group(1) if token else "none")
    r = stack("up", "-d")
    check("the whole stack comes up", r.returncode == 0, r.stderr)
    check("the operator turns healthy and ready",
          ap_e2e.wait_until(lambda: healthy("operator-base") and stack.http(
              "AP_PUBLISH_OPERATOR_HTTP", "/ready") == 200, 120, 1))
    r = apctl("keys", "create", "--owner=me", "--role=writer")
    writer = re.search(r"secret: (\S+)", r.stdout)
    check("a writer key is made online", writer is not None, r.stderr)
    apctl.key = writer.group(1) if writer else ""


def run_workflow(stack, apctl, check):
    r = apctl("apply", "-f", "-", stdin=(
        "name: health-every-second\n"
        "trigger: {cron: {schedules: ['* * * * * *']}}\n"
        "steps: [{id: health, http: {url: 'http://aggregator:8080/health'}}]\n"))
    m = re.search(r"created \S+ (\w+)", r.stdout)
    check("a workflow is applied", m is not None, r.stdout + r.stderr)
    wid = m.group(1) if m else "none"
    check("its executions succeed in the operator container",
          ap_e2e.wait_until(lambda: apctl.succeeded(wid) >= 3, 60, 1))
    check("grpc.health.v1 answers SERVING from the host",
          apctl("health").returncode == 0)
    for key, path in (("AP_PUBLISH_HTTP", "/health"),
                      ("AP_PUBLISH_HTTP", "/ready"),
                      ("AP_PUBLISH_HTTP", "/console/"),  # built into the image
                      ("AP_PUBLISH_HTTP", "/console/js/main.js"),
                      ("AP_PUBLISH_OPERATOR_HTTP", "/health")):
        check("GET %s on %s answers 200 from the host" % (path, key),
              stack.http(key, path) == 200)
    return wid


def crash(stack, apctl, check, wid):
    """SIGKILL to the aggregator's process: docker restarts it, the
    operator relinks, the data is still there."""
    before = inspect("aggregator-base")
    os.kill(before["State"]["Pid"], signal.SIGKILL)
    killed = time.monotonic()
    check("docker restarts the killed aggregator (restart: unless-stopped)",
          ap_e2e.wait_until(lambda: inspect("aggregator-base")["RestartCount"]
                            > before["RestartCount"], 60, 0.2))
    check("it is healthy again",
          ap_e2e.wait_until(lambda: healthy("aggregator-base"), 120, 0.5))
    serving = time.monotonic()
    check("the operator relinks",
          ap_e2e.wait_until(lambda: stack.http("AP_PUBLISH_OPERATOR_HTTP",
                                               "/ready") == 200 and
                            "aggregator_linked" in run(
                                ["docker", "logs", "--since", "%ds" % (
                                    time.monotonic() - killed + 1),
                                 "operator-base"]).stderr, 60, 0.2))
    print("crash: healthy %.1f s after the kill, operator linked %.1f s "
          "after that" % (serving - killed, time.monotonic() - serving))
    r = apctl("workflow", "get", wid)
    check("the workflow survived the crash", r.returncode == 0, r.stderr)
    done = apctl.succeeded(wid)
    check("executions go on after the crash",
          ap_e2e.wait_until(lambda: apctl.succeeded(wid) >= done + 3, 60, 1))


def down_up(stack, apctl, check, wid):
    done = apctl.succeeded(wid)
    r = stack("down")
    check("down stops and removes the containers", r.returncode == 0 and
          inspect("aggregator-base") is None, r.stderr)
    r = stack("up", "-d")
    check("up brings the stack back", r.returncode == 0, r.stderr)
    check("both are healthy again",
          ap_e2e.wait_until(lambda: healthy("aggregator-base") and
                            healthy("operator-base"), 120, 1))
    check("the volumes kept the workflow and its executions",
          apctl.succeeded(wid) >= done)
    check("executions go on after down/up",
          ap_e2e.wait_until(lambda: apctl.succeeded(wid) >= done + 3, 60, 1))


def tear_down(stack, containers, check, dockerd, work):
    """The containers' logs when a check failed; down -v; dockerd stopped
    if this test started it; the scratch directory removed."""
    if stack:
        if check.failed:
            for c in containers:
                logs = run(["docker", "logs", "--tail", "30", c])
                print("--- %s\n%s%s" % (c, logs.stdout, logs.stderr))
        r = stack("down", "-v")
        if r.returncode != 0:
            print("compose down -v failed:", r.stderr)
    if dockerd:
        dockerd.send_signal(signal.SIGTERM)
        dockerd.wait(timeout=60)
    shutil.rmtree(work, ignore_errors=True)


def main():
    build, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    work = tempfile.mkdtemp()
    check = ap_e2e.Checks()
    dockerd = start_dockerd(work)
    stack = None
    try:
        r = run([os.path.join(src, "scripts/docker-base.sh")], timeout=900)
        check("the base images are there (scripts/docker-base.sh)",
              r.returncode == 0, r.stdout + r.stderr)
        others = [c for c in CONTAINERS if inspect(c) and inspect(c)[
            "Config"]["Labels"].get("com.docker.compose.project") != PROJECT]
        if others:
            sys.exit("FAIL: containers %s of another stack exist; this test "
                     "would take their names" % others)
        copy_source(src, work)
        stack = Stack(src, work)
        stack("down", "-v")  # what an interrupted run may have left
        stack.write_env("apo_sentinel_" + secrets.token_hex(16))
        apctl = Apctl(build, stack)
        build_and_check_images(stack, check)
        if not check.failed:
            bring_up(stack, apctl, check)
        if not check.failed:
            wid = run_workflow(stack, apctl, check)
            crash(stack, apctl, check, wid)
            down_up(stack, apctl, check, wid)
    finally:
        tear_down(stack, CONTAINERS, check, dockerd, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
