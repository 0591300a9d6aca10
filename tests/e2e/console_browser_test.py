#!/usr/bin/python3
"""The web console in a real headless Chromium, driven by puppeteer-core
(tests/browser/console_test.mjs). This script sets the stage on a real
aggregator: a writer and a reader key, a test operator (Python, over the
Node API) that records outcomes, and workflows:
  - nightly-report (team=data): a daily cron backfilled over the last three
    days; the operator fails the second fire, so the timeline has a
    SUCCEEDED fire and a FAILED one, each with its reason;
  - web-deploy (team=web), paused;
  - a workflow named `<img src=x onerror=alert(1)>` whose step output holds
    a <script>.
Screenshots of every page are written to BUILD_DIR/console/.

usage: console_browser_test.py BUILD_DIR SOURCE_DIR
"""
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc
from google.protobuf import timestamp_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_OUTPUT = "<script>alert(2)</script><img src=x onerror=alert(3)>"
FAILED_ERROR = "exit code 3: disk full on /reports"


def ts(t):
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(t)
    return out


def main():
    build, src = sys.argv[1], sys.argv[2]
    browser_dir = os.path.join(os.path.abspath(src), "tests/browser")
    if not os.path.isdir(os.path.join(browser_dir, "node_modules/puppeteer-core")):
        print("FAIL: puppeteer-core is not installed; run scripts/install-deps.sh")
        return 1
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

        writer = agg.secret("keys", "create", "--owner=console", "--role=writer")
        reader = agg.secret("keys", "create", "--owner=console", "--role=reader")
        token = agg.secret("operators", "add", "--id=op-console")
        user = (("authorization", "Bearer " + writer),)
        op = (("authorization", "Bearer " + token),)
        agg.start()
        http_port = agg.http_port()
        channel = grpc.insecure_channel(agg.address())
        users, nodes = api_grpc.AggregatorStub(channel), node_grpc.NodeStub(channel)

        def create(name, labels, cron=None, output="", notify=False):
            w = wf.Workflow(name=name, labels=labels)
            if notify:  # to a webhook nobody listens on: it waits
                target = w.notify.add(id="oncall")
                target.events.append(wf.NOTIFY_EVENT_FAILED)
                target.webhook.url = "http://127.0.0.1:9/hook"
            if cron:
                w.trigger.cron.schedules.append(cron)
            else:
                w.trigger.manual.SetInParent()
            w.steps.add(id="run").command.argv.extend(["/bin/echo", output or name])
            return users.CreateWorkflow(api.CreateWorkflowRequest(workflow=w),
                                        metadata=user, timeout=5)

        nightly = create("nightly-report", {"team": "data"}, cron="0 3 * * *",
                         notify=True)
        web = create("web-deploy", {"team": "web"}, cron="30 4 * * *")
        users.PauseWorkflow(api.PauseWorkflowRequest(id=web.id), metadata=user,
                            timeout=5)
        xss = create(XSS_NAME, {"team": "<b>x</b>"}, output=XSS_OUTPUT)

        # The test operator: every assignment it gets is reported; of the
        # nightly backfill, the second fire FAILED, the others SUCCEEDED.
        nodes.Ping(node.PingRequest(operator_id="op-console", version="9.9.9",
                                    capacity=10, running=0), metadata=op, timeout=5)
        stream = nodes.Sync(node.SyncRequest(operator_id="op-console",
                                             version="9.9.9", capacity=10),
                            metadata=op, timeout=300)
        assignments = []

        def read():
            try:
                for m in stream:
                    if m.HasField("assignment"):
                        assignments.append(m.assignment)
                    elif m.HasField("assignments"):
                        assignments.extend(m.assignments.assignments)
            except grpc.RpcError:
                pass
        threading.Thread(target=read, daemon=True).start()

        now = datetime.datetime.now(datetime.timezone.utc)
        backfill = users.BackfillWorkflow(api.BackfillWorkflowRequest(
            id=nightly.id, **{"from": ts(now - datetime.timedelta(days=3)),
                              "to": ts(now - datetime.timedelta(minutes=1))}),
            metadata=user, timeout=5)
        nightly_fires = len(backfill.recorded)
        check("the backfill recorded at least two fires", nightly_fires >= 2,
              str(nightly_fires))
        xss_execution = users.TriggerWorkflow(
            api.TriggerWorkflowRequest(id=xss.id), metadata=user, timeout=5)
        ap_e2e.wait_until(lambda: len(assignments) >= nightly_fires + 1, 15)
        check("the operator got every execution",
              len(assignments) >= nightly_fires + 1, str(len(assignments)))
        ordered = sorted(assignments, key=lambda a: a.scheduled_at.ToDatetime())
        nightly_ones = [a for a in ordered if a.workflow.id == nightly.id]
        for i, a in enumerate(ordered):
            failed = a.workflow.id == nightly.id and a is nightly_ones[1]
            started = ts(datetime.datetime.now(datetime.timezone.utc))
            result = wf.StepResult(
                step_id="run",
                status=wf.STEP_STATUS_FAILED if failed else wf.STEP_STATUS_SUCCEEDED,
                output=XSS_OUTPUT if a.workflow.id == xss.id else "report written\n",
                error=FAILED_ERROR if failed else "",
                exit_code=3 if failed else 0, started_at=started,
                finished_at=started)
            nodes.Report(node.ReportRequest(
                operator_id="op-console", execution_id=a.execution_id,
                attempt=a.attempt,
                status=wf.EXECUTION_STATUS_FAILED if failed
                else wf.EXECUTION_STATUS_SUCCEEDED,
                reason=FAILED_ERROR if failed else "",
                step_results=[result], started_at=started, finished_at=started),
                metadata=op, timeout=5)

        shots = os.path.join(os.path.abspath(build), "console")
        os.makedirs(shots, exist_ok=True)
        stage = {
            "base": "http://127.0.0.1:%s" % http_port,
            "writerKey": writer, "readerKey": reader, "owner": "console",
            "nightly": nightly.id, "web": web.id, "xss": xss.id,
            "xssName": XSS_NAME, "xssExecution": xss_execution.id,
            "failedError": FAILED_ERROR, "operator": "op-console",
            "shots": shots, "profile": tempfile.mkdtemp(dir=work),
        }
        run = subprocess.run(["node", os.path.join(browser_dir, "console_test.mjs")],
                             input=json.dumps(stage), capture_output=True,
                             text=True, timeout=240, cwd=browser_dir)
        sys.stdout.write(run.stdout)
        sys.stdout.write(run.stderr[-4000:])
        check("the browser test passed", run.returncode == 0,
              "exit %d" % run.returncode)
        for page in ("signin", "workflows", "workflow", "overview", "operators",
                     "reader"):
            path = os.path.join(shots, page + ".png")
            check("a screenshot of " + page, os.path.exists(path) and
                  os.path.getsize(path) > 10000)
        stream.cancel()
        channel.close()
        check("SIGTERM exits 0", agg.stop(signal.SIGTERM) == 0)
    finally:
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
