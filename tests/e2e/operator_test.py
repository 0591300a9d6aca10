#!/usr/bin/python3
"""The operator binary against a real aggregator process.

A workflow fires every second and calls a local HTTP endpoint with
templating. Checked: the operator starts before the aggregator and connects
when it comes up; executions succeed with the rendered request; the
operator is killed with SIGKILL while the aggregator is down, so outcomes
sit in its spool; after both restart every spooled outcome is recorded
exactly once and no (execution, attempt) reached the endpoint twice;
SIGTERM drains both with exit 0; bad flags exit 2.

usage: operator_test.py BUILD_DIR SOURCE_DIR
"""
import collections
import http.server
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402


class Target(http.server.BaseHTTPRequestHandler):
    hits = collections.Counter()
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(2.5)  # so that some executions are always in flight
        with Target.lock:
            Target.hits[(self.path, body.decode())] += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"pong")

    def log_message(self, *args):
        pass



def main():
    build, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    check = ap_e2e.Checks()
    agg = ap_e2e.Aggregator(build, work, ["--heartbeat-interval=500ms"])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    op = None
    try:
        bad = subprocess.run([os.path.join(build, "operator/operator"),
                              "--capacity=zero"], capture_output=True, text=True)
        check("a bad flag exits 2 naming it",
              bad.returncode == 2 and "capacity" in bad.stderr, bad.stderr)

        ap_e2e.compile_protos(src, work)
        from ap.v1 import aggregator_pb2 as api
        from ap.v1 import aggregator_pb2_grpc as api_grpc
        from ap.v1 import node_pb2 as node
        from ap.v1 import workflow_pb2 as wf

        key = agg.secret("keys", "create", "--owner=e2e", "--role=writer")
        token = agg.secret("operators", "add", "--id=op-1")
        user = (("authorization", "Bearer " + key),)
        # A fixed port, so the operator can be started first.
        agg.extra.append("--grpc-listen=127.0.0.1:%d" % ap_e2e.free_port())
        port = int(agg.extra[-1].rsplit(":", 1)[1])
        op = ap_e2e.Operator(build, work, ["127.0.0.1:%d" % port], token,
                             extra=["--capacity=4"])
        op.start()
        time.sleep(1.5)
        check("the operator keeps running with no aggregator",
              op.proc.poll() is None)
        agg.start()
        check("it connects once the aggregator serves",
              ap_e2e.wait_until(lambda: "aggregator_linked" in op.log(), 10),
              op.log()[-2000:])

        users = api_grpc.AggregatorStub(grpc.insecure_channel(agg.address()))
        w = wf.Workflow(name="every-second")
        w.trigger.cron.schedules.append("* * * * * *")
        step = w.steps.add(id="call")
        step.http.method = "POST"
        step.http.url = "http://127.0.0.1:%d/hit/{{workflow.id}}" % server.server_port
        step.http.body = "{{execution.id}}"
        created = users.CreateWorkflow(api.CreateWorkflowRequest(workflow=w),
                                       metadata=user, timeout=5)

        def succeeded():
            resp = users.ListExecutions(api.ListExecutionsRequest(
                workflow_id=created.id, page_size=1000), metadata=user,
                timeout=5)
            return [e for e in resp.executions
                    if e.status == wf.EXECUTION_STATUS_SUCCEEDED]

        check("executions succeed through the operator",
              ap_e2e.wait_until(lambda: len(succeeded()) >= 3, 20))
        done = succeeded()
        with Target.lock:
            hit = (("/hit/" + created.id, done[0].id) in Target.hits)
        check("the request was rendered from the templates", hit,
              str(list(Target.hits)[:3]))
        m = agg.metrics()
        for series, least in [
                ('ap_workflows_by_status{status="active"}', 1),
                ("ap_dispatch_latency_seconds_count", 3),
                ("ap_assignments_total", 3),
                ('ap_execution_outcomes_total{status="succeeded"}', 3),
                ("ap_store_write_seconds_count", 6),
                ("ap_pings_total", 1)]:
            check("the aggregator's /metrics shows %s >= %d" % (series, least),
                  m.get(series, 0) >= least, str(m.get(series)))
        # One at a time goes alone; several queued together go as a batch.
        check("assignments are counted as stream messages sent",
              m.get('ap_stream_messages_sent_total{kind="assignment"}', 0) +
              m.get('ap_stream_messages_sent_total{kind="assignments"}', 0)
              >= 1, str({k: v for k, v in m.items() if "sent" in k}))
        check("open executions are counted (some are running)",
              m.get('ap_executions_open{status="running"}', 0) +
              m.get('ap_executions_open{status="dispatched"}', 0) >= 1,
              str({k: v for k, v in m.items() if "open" in k}))

        # Aggregator down: the operator keeps working what it has, outcomes
        # go to the spool; then the operator dies with SIGKILL.
        agg.kill()
        time.sleep(3)  # the ones in flight finish meanwhile
        op.kill()
        spool = op.spool
        spooled = ap_e2e.spooled(spool, node.ReportRequest.FromString)
        check("outcomes made while the aggregator was down are spooled",
              len(spooled) > 0)
        spooled_ids = {o.execution_id for o in spooled}
        agg.start()
        op.start()
        check("after both restart, the spool drains",
              ap_e2e.wait_until(
                  lambda: op.metrics().get("spool_depth") == 0, 20),
              "%d spooled before" % len(spooled))
        time.sleep(2)
        resp = users.ListExecutions(api.ListExecutionsRequest(
            workflow_id=created.id, page_size=1000), metadata=user, timeout=5)
        ids = [e.id for e in resp.executions]
        check("no execution is recorded twice", len(ids) == len(set(ids)))
        recorded = {e.id for e in resp.executions
                    if e.status == wf.EXECUTION_STATUS_SUCCEEDED}
        check("every spooled outcome is recorded as it was spooled",
              spooled_ids <= recorded, str(spooled_ids - recorded))
        with Target.lock:
            twice = [k for k, n in Target.hits.items() if n > 1]
        check("no execution reached the endpoint twice", not twice, str(twice))

        code = op.proc.send_signal(signal.SIGTERM) or op.proc.wait(timeout=40)
        check("the operator drains on SIGTERM with exit 0", code == 0,
              op.log()[-1500:])
        check("the aggregator stops with exit 0",
              agg.stop(signal.SIGTERM) == 0)
    finally:
        if op:
            if check.failed:
                print("--- operator log (tail) ---\n" + op.log()[-3000:])
            op.kill()
        server.shutdown()
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
