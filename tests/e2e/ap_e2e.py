"""Helpers for the Python e2e tests: compile ap's protos, run a real
aggregator process on 127.0.0.1:0, count checks."""
import os
import re
import subprocess
import sys
import time

from grpc_tools import protoc


def compile_protos(src, out, names=("workflow", "aggregator", "node")):
    """Generates ap.v1 modules into `out` (import them as ap.v1.X_pb2); with
    aggregator.proto, the http.proto and admin.proto it imports."""
    if "aggregator" in names:
        names = tuple(n for n in ("http", "admin") if n not in names) + tuple(names)
    for name in names:
        rc = protoc.main([
            "protoc", "-I" + os.path.join(src, "proto"),
            "-I" + os.path.join(os.path.dirname(protoc.__file__), "_proto"),
            "--python_out=" + out, "--grpc_python_out=" + out,
            os.path.join(src, "proto", "ap", "v1", name + ".proto")])
        if rc != 0:
            sys.exit("protoc failed for " + name)
    sys.path.insert(0, out)


def wait_until(cond, timeout, step=0.05):
    """Polls `cond` until it is true or `timeout` seconds passed; returns
    its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _after(path, mark, pattern):
    """Every match of `pattern` in the file at `path` from offset `mark`."""
    with open(path) as f:
        f.seek(mark)
        return re.findall(pattern, f.read())


class _Process:
    """What both server processes share: signals, kill, their log."""

    proc = None
    log_path = None

    def stop(self, sig, timeout=40):
        """Sends `sig` and returns the exit code."""
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        with open(self.log_path) as f:
            return f.read()


class Aggregator(_Process):
    """One aggregator process; start() waits until it serves."""

    def __init__(self, build, work, extra=()):
        self.binary = os.path.join(build, "aggregator/aggregator")
        self.data_dir = os.path.join(work, "data")
        self.log_path = os.path.join(work, "agg.log")
        self.socket = os.path.join(work, "ap.sock")
        self.extra = list(extra)
        self.proc, self.port = None, None

    def admin(self, *args):
        """Runs `aggregator --data-dir=... ARGS` and returns its stdout."""
        return subprocess.run([self.binary, "--data-dir=" + self.data_dir] +
                              list(args), capture_output=True, text=True,
                              check=True).stdout

    def secret(self, *args):
        return re.search(r"secret: (\S+)", self.admin(*args)).group(1)

    def start(self):
        log = open(self.log_path, "a")
        self.mark = log.tell()
        self.proc = subprocess.Popen(
            [self.binary, "--data-dir=" + self.data_dir,
             "--grpc-listen=127.0.0.1:0", "--http-listen=127.0.0.1:0",
             "--log-level=debug",
             "--repl-socket=" + self.socket] + self.extra, stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = _after(self.log_path, self.mark,
                           r"serving grpc_port=(\d+)")
            if found:
                self.port = int(found[0])
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("aggregator did not start; see " + self.log_path)

    def address(self):
        return "127.0.0.1:%d" % self.port

    def http_port(self):
        """The HTTP port of the process start() started (it waited for it
        to serve)."""
        return int(_after(self.log_path, self.mark,
                          r"serving .*http_port=(\d+)")[-1])

    def metrics(self):
        """/metrics as {'name{labels}': value} (histogram buckets left out)."""
        import urllib.request
        text = urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % self.http_port(),
            timeout=5).read().decode()
        return {m.group(1): float(m.group(2)) for m in re.finditer(
            r"^(ap_\S+) (\S+)$", text, re.M) if "_bucket{" not in m.group(1)}

    def stop(self, sig, timeout=30):
        return super().stop(sig, timeout)

    def log_tail(self, n=30):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-n:])


class Operator(_Process):
    """One operator process; its log is work/ID.log, its spool work/ID-spool."""

    def __init__(self, build, work, endpoints, token, op_id="op-1",
                 extra=()):
        self.binary = os.path.join(build, "operator/operator")
        self.id = op_id
        self.spool = os.path.join(work, op_id + "-spool")
        self.args = ["--aggregator=" + ",".join(endpoints), "--id=" + op_id,
                     "--spool-dir=" + self.spool, "--http-listen=127.0.0.1:0",
                     "--capacity=4", "--log-level=debug"] + list(extra)
        self.env = dict(os.environ, AP_OPERATOR_TOKEN=token)
        self.log_path = os.path.join(work, op_id + ".log")
        self.proc = None

    def start(self):
        log = open(self.log_path, "a")
        self.mark = log.tell()
        self.proc = subprocess.Popen([self.binary] + self.args, env=self.env,
                                     stderr=log)

    def http_port(self):
        """The HTTP port of the process start() started, or None until it
        has said (not an earlier process's, after a restart)."""
        found = _after(self.log_path, self.mark,
                       r"operator_started .*http_port=(\d+)")
        return int(found[-1]) if found else None

    def metrics(self):
        """ap_operator_state values by `what`, from /metrics; {} until the
        process has said where it serves."""
        import urllib.request
        if self.http_port() is None:
            return {}
        text = urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % self.http_port(), timeout=5).read()
        return {m.group(1): float(m.group(2)) for m in re.finditer(
            r'ap_operator_state\{what="(\w+)"\} (\S+)', text.decode())}


def _crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def spooled(spool_dir, parse):
    """The outcomes on disk in an operator's spool directory, parsed with
    `parse` (node_pb2.ReportRequest.FromString): the records of its
    segments (`*.log`, operator/spool/segment_record.h), up to a torn or
    damaged one as the operator reads them, and files of the earlier
    format (`*.outcome`). A segment may still hold outcomes already
    answered for (the spool does not write acknowledgements)."""
    out = []
    for name in sorted(os.listdir(spool_dir)):
        path = os.path.join(spool_dir, name)
        if name.endswith(".outcome"):
            with open(path, "rb") as f:
                out.append(parse(f.read()))
        if not name.endswith(".log"):
            continue
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 20 <= len(data) and data[pos:pos + 4] == b"APS1":
            n = int.from_bytes(data[pos + 4:pos + 8], "little")
            if pos + 20 + n > len(data):
                break
            payload = data[pos + 20:pos + 20 + n]
            crc = int.from_bytes(data[pos + 16:pos + 20], "little")
            if crc == _crc32c(payload, _crc32c(data[pos + 8:pos + 16])):
                out.append(parse(payload))
            pos += 20 + n
    return out


def log_times(path, pattern, after=None):
    """Timestamps (datetime, UTC) of the log lines matching `pattern`."""
    import datetime
    out = []
    with open(path) as f:
        for line in f:
            m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z", line)
            if m and re.search(pattern, line):
                t = datetime.datetime.fromisoformat(m.group(1))
                if after is None or t >= after:
                    out.append(t)
    return out


def finish(agg, check, work):
    """Cleanup for a test's `finally`: stop the aggregator, show its log if
    anything failed, remove the scratch directory; returns the exit code."""
    import shutil
    agg.kill()
    if check.failed or sys.exc_info()[0] is not None:
        print("--- aggregator log (tail) ---\n" + agg.log_tail())
    shutil.rmtree(work, ignore_errors=True)


class Checks:
    def __init__(self):
        self.passed, self.failed = 0, []

    def __call__(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok:", name)
        else:
            self.failed.append(name)
            print("FAIL:", name, detail)

    def finish(self):
        print("%d passed, %d failed" % (self.passed, len(self.failed)))
        return 1 if self.failed else 0
