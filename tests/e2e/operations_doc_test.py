#!/usr/bin/python3
"""Every command of docs/operations.md that is safe against a live
aggregator, run as printed against a real aggregator and operator:
apctl lines, the REPL session, the offline first admin key, and the
grpcurl lines (through Python's grpcio, since Debian has no grpcurl).

A line is taken from the doc's ```sh blocks as it is written; only its
placeholders are filled in (ID, EXECUTION_ID, apk_…, FILE, 127.0.0.1:2206,
the key id and paths), `[--optional]` parts are run without and with, and
`a|b|c` runs each. A command the doc shows that this test does not know
how to run fails the test, so the doc cannot drift from what works.

usage: operations_doc_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402

# Lines of the doc that are not run here, and why.
NOT_RUN = {
    # A deployment's operator: its addresses and paths are examples; the
    # test runs its own operator.
    "AP_OPERATOR_TOKEN=apo_… operator": "an operator for another machine",
    # The docker section: tests/e2e/docker_test.py.
    "docker ": "docker, see docker_compose_test.py",
    "cd docker": "docker, see docker_compose_test.py",
    "echo \"AP_OPERATOR_TOKEN": "docker, see docker_compose_test.py",
    "export AP_API_KEY=apk_…": "docker, see docker_compose_test.py",
    "AP_PUBLISH_GRPC=": "docker, see docker_compose_test.py",
}


def sh_lines(doc):
    """The commands of the doc's ```sh blocks, continuation lines joined,
    comments cut."""
    out, block = [], False
    for line in doc.splitlines():
        if line.startswith("```"):
            block = line.strip() == "```sh"
            continue
        if not block or not line.strip() or line.lstrip().startswith("#"):
            continue
        line = re.sub(r"\s+#\s.*$", "", line.rstrip())
        if out and out[-1].endswith("\\"):
            out[-1] = out[-1][:-1].rstrip() + " " + line.strip()
        else:
            out.append(line.strip())
    return out


def expand(line):
    """`[--x]` without and with; `a|b|c` (one word, no `=`) each."""
    m = re.search(r"\s\[([^\]]+)\]", line)
    if m:
        without = line[:m.start()] + line[m.end():]
        with_ = line[:m.start()] + " " + m.group(1) + line[m.end():]
        return expand(without) + expand(with_)
    words = line.split(" ")
    for i, w in enumerate(words):
        if "|" in w and "=" not in w and not w.startswith("-"):
            return [x for alt in w.split("|")
                    for x in expand(" ".join(words[:i] + [alt] +
                                             words[i + 1:]))]
    return [line]


class Doc:
    """Runs the doc's commands in a scratch directory."""

    def __init__(self, build, src, work, check):
        self.build, self.src, self.work, self.check = build, src, work, check
        self.apctl = os.path.join(build, "cli/apctl")
        self.agg = ap_e2e.Aggregator(build, work)
        self.values = {}

    def env(self):
        return dict(os.environ, AP_AGGREGATOR=self.agg.address(),
                    AP_API_KEY=self.values["admin_key"])

    def fill(self, line):
        v = self.values
        line = line.replace("127.0.0.1:2206", self.agg.address())
        line = line.replace("apk_…", v["admin_key"])
        line = line.replace("1f2e3d4c5b6a", v.get("key_id", "none"))
        line = line.replace("EXECUTION_ID", v.get("execution", "none"))
        line = line.replace("--out=FILE", "--out=" + os.path.join(
            self.work, "report.txt"))
        # delete removes the workflow, so it gets one of its own.
        wid = v["spare"] if re.search(r"workflow delete ID$", line) \
            else v.get("nightly", "none")
        # backfill needs a schedule: the hourly one (nightly is canceled).
        if re.search(r"workflow backfill ID", line):
            wid = v.get("hourly", "none")
        return re.sub(r"\bID\b", wid, line)

    def run_apctl(self, line):
        args = ["sh", "-c", line.replace("apctl", self.apctl, 1)]
        if re.match(r"apctl watch ", line):
            return self.watch(args, line)
        r = subprocess.run(args, cwd=self.work, env=self.env(),
                           capture_output=True, text=True, timeout=60)
        self.check(line, r.returncode == 0,
                   "exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
        return r.stdout

    def watch(self, args, line):
        """watch runs until Ctrl-C: it must say so, then stop on SIGINT."""
        p = subprocess.Popen(args, cwd=self.work, env=self.env(),
                             stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
        first = p.stdout.readline()
        os.killpg(p.pid, signal.SIGINT)
        p.wait(timeout=10)
        self.check(line, first.startswith("watching "), first)
        return first


def repl(doc, lines, check):
    """The REPL session, on the test's socket."""
    session = "\n".join(l[2:] for l in lines if l.startswith("> "))
    session = session.replace("/var/backups/ap-2026-11-25",
                              os.path.join(doc.work, "backup"))
    session = re.sub(r"get wf/\S+", "get wf/" + doc.values["nightly"],
                     session)
    first = next(l for l in lines if l.startswith("socat "))
    cmd = first.replace("/tmp/ap.sock", doc.agg.socket)
    r = subprocess.run(["sh", "-c", cmd], input=session + "\n",
                       capture_output=True, text=True, timeout=30)
    check("REPL: " + first, r.returncode == 0 and
          "workflows_known" in r.stdout and doc.values["nightly"] in r.stdout
          and os.path.isdir(os.path.join(doc.work, "backup")),
          r.stdout + r.stderr)


def grpcurl(doc, line, check):
    """The doc's grpcurl lines, made with grpcio (Debian has no grpcurl)."""
    import grpc
    channel = grpc.insecure_channel(doc.agg.address())
    if line.endswith("grpc.health.v1.Health/Check"):
        import health_pb2
        import health_pb2_grpc
        resp = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10)
        check(line, resp.status == health_pb2.HealthCheckResponse.SERVING)
    elif line.endswith(" list"):
        import reflection_pb2
        import reflection_pb2_grpc
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        answers = stub.ServerReflectionInfo(iter([
            reflection_pb2.ServerReflectionRequest(list_services="")]),
            timeout=10)
        names = [s.name for a in answers
                 for s in a.list_services_response.service]
        check(line, {"ap.v1.Aggregator", "ap.v1.Admin", "ap.v1.Node",
                     "grpc.health.v1.Health"} <= set(names), str(names))
    else:
        check("a way to run: " + line, False)


def compile_grpc_protos(out):
    for name, rel in (("reflection", "grpc/reflection/v1alpha/reflection.proto"),
                      ("health", "grpc/health/v1/health.proto")):
        from grpc_tools import protoc
        shutil.copy(os.path.join("/usr/share/grpc-proto", rel),
                    os.path.join(out, name + ".proto"))
        if protoc.main(["protoc", "-I" + out, "--python_out=" + out,
                        "--grpc_python_out=" + out,
                        os.path.join(out, name + ".proto")]) != 0:
            sys.exit("protoc failed for " + rel)
    sys.path.insert(0, out)


def setup(doc, offline_admin):
    """The first admin key (the doc's offline command, on this data dir),
    then an aggregator and an operator, and the files the doc names."""
    data = "--data-dir=" + doc.agg.data_dir
    cmd = offline_admin.replace("--data-dir=/var/lib/ap", data).replace(
        "aggregator", doc.agg.binary, 1)
    r = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True)
    doc.check(offline_admin, r.returncode == 0, r.stdout + r.stderr)
    doc.values["admin_key"] = re.search(r"secret: (\S+)", r.stdout).group(1)
    token = doc.agg.secret("operators", "add", "--id=doc-op")
    doc.agg.start()
    op = ap_e2e.Operator(doc.build, doc.work, [doc.agg.address()], token,
                         "doc-op", ["--allowed-commands=/bin/true"])
    op.start()
    # Workflows that touch nothing but /bin/true (the docs' examples call
    # hosts that are not here).
    os.makedirs(os.path.join(doc.work, "workflows"))
    with open(os.path.join(doc.work, "workflows", "jobs.yaml"), "w") as f:
        f.write("name: tidy\ntrigger: {manual: {}}\n"
                "steps: [{id: run, command: {argv: [/bin/true]}}]\n---\n"
                "name: hourly\ntrigger: {cron: {schedules: ['0 * * * *']}}\n"
                "steps: [{id: run, command: {argv: [/bin/true]}}]\n")
    with open(os.path.join(doc.work, "nightly.yaml"), "w") as f:
        f.write("name: nightly\ntrigger: {cron: {schedules: ['* * * * * *']}}"
                "\nsteps: [{id: run, command: {argv: [/bin/true]}}]\n")
    return op


def main():
    build, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    work = tempfile.mkdtemp()
    ap_e2e.compile_protos(src, work)
    compile_grpc_protos(work)
    check = ap_e2e.Checks()
    doc = Doc(build, src, work, check)
    op = None
    try:
        with open(os.path.join(src, "docs/operations.md")) as f:
            lines = sh_lines(f.read())
        offline = [l for l in lines if l.startswith("aggregator --data-dir")]
        check("the doc makes the first admin key offline", len(offline) == 1)
        op = setup(doc, offline[0])
        seen = set()
        for line in lines:
            if line in seen or line in offline or line.startswith("> "):
                continue
            seen.add(line)
            if any(line.startswith(p) for p in NOT_RUN):
                print("not run here (%s): %s" % (
                    next(v for k, v in NOT_RUN.items()
                         if line.startswith(k)), line))
            elif line.startswith("export "):
                continue  # the environment every command here gets
            elif line.startswith("socat "):
                repl(doc, lines, check)
            elif line.startswith("grpcurl "):
                grpcurl(doc, line, check)
            elif line.startswith("apctl "):
                for one in expand(line):
                    out = doc.run_apctl(doc.fill(one))
                    learn(doc, one, out)
            else:
                check("a way to run: " + line, False)
    finally:
        if op:
            op.kill()
        ap_e2e.finish(doc.agg, check, work)
    return check.finish()


def learn(doc, line, out):
    """What later lines need from this one's output."""
    wanted = (("apctl keys create", "key_id", r"API key (\w+)"),
              ("apctl apply", "spare", r"(?:created|unchanged) \S+ (\w+)"),
              ("apctl apply", "hourly", r"(?:created|unchanged) hourly (\w+)"),
              ("apctl workflow create", "nightly", r"\n(\w{26}) "),
              ("apctl workflow trigger", "execution", r"\n(\S+) "))
    for prefix, key, pattern in wanted:
        if line.startswith(prefix):
            m = re.search(pattern, out)
            doc.check("%s prints the %s later lines use" % (prefix, key),
                      m is not None, out)
            if m:
                doc.values[key] = m.group(1)


if __name__ == "__main__":
    sys.exit(main())
