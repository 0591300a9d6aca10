#!/usr/bin/python3
"""Real aggregator processes: a workflow firing every second keeps every
scheduled second recorded exactly once across a graceful restart (SIGTERM)
and a crash (SIGKILL). Uses a foreign client (Python grpcio) with the ap
protos compiled here, and an API key made by `aggregator keys create`.

usage: aggregator_restart_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import grpc
from grpc_tools import protoc


def compile_protos(src, out):
    for rel in ("ap/v1/workflow.proto", "ap/v1/aggregator.proto"):
        rc = protoc.main(["protoc", "-I" + os.path.join(src, "proto"),
                          "-I" + os.path.join(os.path.dirname(protoc.__file__), "_proto"),
                          "--python_out=" + out, "--grpc_python_out=" + out,
                          os.path.join(src, "proto", rel)])
        if rc != 0:
            sys.exit("protoc failed for " + rel)
    sys.path.insert(0, out)


class Aggregator:
    def __init__(self, binary, data_dir, log_path):
        self.binary, self.data_dir, self.log_path = binary, data_dir, log_path
        self.proc, self.port = None, None

    def start(self):
        log = open(self.log_path, "a")
        mark = log.tell()
        self.proc = subprocess.Popen(
            [self.binary, "--data-dir=" + self.data_dir,
             "--grpc-listen=127.0.0.1:0", "--log-level=debug",
             "--repl-socket=" + os.path.join(self.data_dir, "..", "ap.sock")],
            stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(self.log_path) as f:
                f.seek(mark)
                m = re.search(r"serving grpc_port=(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("aggregator did not start; see " + self.log_path)

    def stop(self, sig):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


def main():
    build, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    binary = os.path.join(build, "aggregator/aggregator")
    data = os.path.join(work, "data")
    agg = Aggregator(binary, data, os.path.join(work, "agg.log"))
    failures, passed = [], 0

    def check(name, ok, detail=""):
        nonlocal passed
        if ok:
            passed += 1
            print("ok:", name)
        else:
            failures.append(name)
            print("FAIL:", name, detail)

    try:
        compile_protos(src, work)
        from ap.v1 import aggregator_pb2 as api
        from ap.v1 import aggregator_pb2_grpc as api_grpc
        from ap.v1 import workflow_pb2 as wf

        out = subprocess.run([binary, "--data-dir=" + data, "keys", "create",
                              "--owner=e2e", "--role=writer"],
                             capture_output=True, text=True, check=True).stdout
        key = re.search(r"secret: (\S+)", out).group(1)
        auth = (("authorization", "Bearer " + key),)

        agg.start()
        stub = api_grpc.AggregatorStub(
            grpc.insecure_channel("127.0.0.1:%d" % agg.port))
        w = wf.Workflow(name="every second")
        w.trigger.cron.schedules.append("* * * * * *")
        step = w.steps.add(id="ping")
        step.http.url = "http://127.0.0.1:9/unused"
        created = stub.CreateWorkflow(api.CreateWorkflowRequest(workflow=w),
                                      metadata=auth, timeout=5)

        def executions():
            ch = grpc.insecure_channel("127.0.0.1:%d" % agg.port)
            s = api_grpc.AggregatorStub(ch)
            out, token = [], ""
            while True:
                r = s.ListExecutions(api.ListExecutionsRequest(
                    workflow_id=created.id, page_size=1000, page_token=token),
                    metadata=auth, timeout=5)
                out += list(r.executions)
                token = r.next_page_token
                if not token:
                    ch.close()
                    return out

        def wait_for(n):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if len(executions()) >= n:
                    return True
                time.sleep(0.2)
            return False

        check("fires every second", wait_for(3))
        check("SIGTERM exits 0", agg.stop(signal.SIGTERM) == 0)
        time.sleep(2)  # down for two scheduled seconds
        agg.start()
        check("fires again after a graceful restart", wait_for(len(executions()) + 3))
        agg.stop(signal.SIGKILL)  # crash: no drain, no flush
        time.sleep(2)
        agg.start()
        before = len(executions())
        check("fires again after a crash", wait_for(before + 3))

        got = executions()
        times = sorted(e.scheduled_at.seconds for e in got)
        ids = [e.id for e in got]
        check("no execution recorded twice", len(ids) == len(set(ids)))
        check("no scheduled second twice", len(times) == len(set(times)))
        gaps = [t for a, t in zip(times, times[1:]) if t - a != 1]
        check("every scheduled second from first to last is recorded",
              not gaps, "gaps before %s" % gaps[:5])
        check("nothing was skipped (downtime stayed under the misfire "
              "threshold)",
              all(e.status == wf.EXECUTION_STATUS_PENDING for e in got))
    finally:
        if agg.proc and agg.proc.poll() is None:
            agg.proc.kill()
            agg.proc.wait()
        if failures:
            with open(agg.log_path) as f:
                print("--- aggregator log (tail) ---\n" + "".join(f.readlines()[-30:]))
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
