#!/usr/bin/python3
"""/telemetry in a real headless Chromium: with an operator connected and an
outcome recorded (by a Python test operator), the rendered page shows both.
The screenshot is kept as BUILD_DIR/telemetry.png.

usage: telemetry_browser_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium(work, *args):
    profile = tempfile.mkdtemp(dir=work)
    return subprocess.run(["chromium"] + CHROMIUM_FLAGS +
                          ["--user-data-dir=" + profile] + list(args),
                          capture_output=True, text=True, timeout=90)


def main():
    build, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    agg = ap_e2e.Aggregator(build, work)
    check = ap_e2e.Checks()
    try:
        ap_e2e.compile_protos(src, work)
        from ap.v1 import aggregator_pb2 as api
        from ap.v1 import aggregator_pb2_grpc as api_grpc
        from ap.v1 import node_pb2 as node
        from ap.v1 import node_pb2_grpc as node_grpc
        from ap.v1 import workflow_pb2 as wf

        key = agg.secret("keys", "create", "--owner=e2e", "--role=writer")
        token = agg.secret("operators", "add", "--id=op-telemetry")
        user, op = (("authorization", "Bearer " + key),), (("authorization", "Bearer " + token),)
        agg.start()
        with open(agg.log_path) as f:
            http_port = re.findall(r"http_port=(\d+)", f.read())[-1]
        channel = grpc.insecure_channel(agg.address())
        users, nodes = api_grpc.AggregatorStub(channel), node_grpc.NodeStub(channel)

        w = wf.Workflow(name="shown on the page")
        w.trigger.manual.SetInParent()
        w.steps.add(id="s").http.url = "http://127.0.0.1:9/"
        created = users.CreateWorkflow(api.CreateWorkflowRequest(workflow=w),
                                       metadata=user, timeout=5)
        nodes.Ping(node.PingRequest(operator_id="op-telemetry", version="9.9.9",
                                    capacity=3, running=1), metadata=op, timeout=5)
        stream = nodes.Sync(node.SyncRequest(operator_id="op-telemetry",
                                             version="9.9.9", capacity=3),
                            metadata=op, timeout=120)
        assignments = []

        def read():
            try:
                for m in stream:
                    if m.HasField("assignment"):
                        assignments.append(m.assignment)
            except grpc.RpcError:
                pass
        threading.Thread(target=read, daemon=True).start()
        execution = users.TriggerWorkflow(api.TriggerWorkflowRequest(id=created.id),
                                          metadata=user, timeout=5)
        deadline = time.monotonic() + 10
        while not assignments and time.monotonic() < deadline:
            time.sleep(0.05)
        nodes.Report(node.ReportRequest(operator_id="op-telemetry",
                                        execution_id=execution.id, attempt=1,
                                        status=wf.EXECUTION_STATUS_SUCCEEDED),
                     metadata=op, timeout=5)

        url = "http://127.0.0.1:%s/telemetry" % http_port
        dom = chromium(work, "--dump-dom", url).stdout
        check("the page lists the operator", "op-telemetry" in dom and "9.9.9" in dom)
        check("the operator shows as connected", 'class="yes">yes' in dom)
        check("the recorded outcome is shown", execution.id in dom and ">succeeded<" in dom)
        check("the workflow count is shown", 'id="workflows-known">1<' in dom)
        check("workflows are counted by status",
              'id="workflows-active">1<' in dom and
              'id="workflows-paused">0<' in dom)
        check("nothing is left unfinished", 'id="open-pending">0<' in dom and
              'id="open-running">0<' in dom)
        shot = os.path.join(build, "telemetry.png")
        chromium(work, "--screenshot=" + shot, "--window-size=1200,800", url)
        check("a screenshot was taken", os.path.exists(shot) and
              os.path.getsize(shot) > 10000)
        stream.cancel()
        channel.close()
        check("SIGTERM exits 0", agg.stop(signal.SIGTERM) == 0)
    finally:
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
