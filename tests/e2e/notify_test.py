#!/usr/bin/python3
"""Notifications for real: an aggregator, an operator and a webhook
receiver on 127.0.0.1. One workflow fails every second until a file
appears (then recovers), another misses fires under FORBID. The receiver
refuses (503) until the aggregator has been killed with SIGKILL and
restarted, so notifications wait in the store across the crash. Every
notification the aggregator recorded arrives at least once, `failed`,
`missed` and `recovered` among them, and a repeat carries the same id and
body, so a receiver can drop it.

usage: notify_test.py BUILD_DIR SOURCE_DIR
"""
import http.server
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402


class Receiver(http.server.ThreadingHTTPServer):
    """Keeps every POST's body by X-Ap-Notification-Id; 503 while down.
    The first one it keeps after that it answers 500, as if the answer was
    lost: the aggregator must send it again, with the same id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down = True
        self.lost_answer = None  # the id whose answer was "lost"
        self.refused = 0
        self.received = []  # (id, event, body)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(h):
                body = h.rfile.read(int(h.headers["Content-Length"]))
                with self.lock:
                    if self.down:
                        self.refused += 1
                        h.send_response(503)
                    else:
                        doc = json.loads(body)
                        nid = h.headers["X-Ap-Notification-Id"]
                        self.received.append((nid, doc["event"], body))
                        if self.lost_answer is None:
                            self.lost_answer = nid
                            h.send_response(500)
                        else:
                            h.send_response(200)
                h.end_headers()

            def log_message(h, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def ids(self):
        with self.lock:
            return {r[0] for r in self.received}

    def events(self):
        with self.lock:
            return {r[1] for r in self.received}


def recorded_ids(agg):
    return set(re.findall(r"notification_recorded notification=(\S+)",
                          agg.log()))


def main():
    build, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    # A fixed port, so that the operator finds it again after the crash.
    agg = ap_e2e.Aggregator(
        build, work, ["--grpc-listen=127.0.0.1:%d" % ap_e2e.free_port()])
    check = ap_e2e.Checks()
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = "http://127.0.0.1:%d/hook" % receiver.server_address[1]
    flag = os.path.join(work, "healthy")
    op = None
    try:
        ap_e2e.compile_protos(src, work, ("workflow", "aggregator"))
        from ap.v1 import aggregator_pb2 as api
        from ap.v1 import aggregator_pb2_grpc as api_grpc
        from ap.v1 import workflow_pb2 as wf

        key = agg.secret("keys", "create", "--owner=e2e", "--role=writer")
        token = agg.secret("operators", "add", "--id=op-1")
        auth = (("authorization", "Bearer " + key),)
        agg.start()
        op = ap_e2e.Operator(
            build, work, [agg.address()], token,
            extra=["--allowed-commands=/usr/bin/test,/bin/sleep"])
        op.start()
        stub = api_grpc.AggregatorStub(grpc.insecure_channel(agg.address()))

        def workflow(name, argv, forbid=False):
            w = wf.Workflow(name=name)
            w.trigger.cron.schedules.append("* * * * * *")
            w.steps.add(id="run").command.argv.extend(argv)
            w.policy.notify_interval.seconds = 1
            if forbid:
                w.policy.concurrency = wf.CONCURRENCY_POLICY_FORBID
            t = w.notify.add(id="receiver")
            t.webhook.url = hook
            return stub.CreateWorkflow(api.CreateWorkflowRequest(workflow=w),
                                       metadata=auth, timeout=5)

        workflow("flaky", ["/usr/bin/test", "-e", flag])
        slow = workflow("slow", ["/bin/sleep", "2.5"], forbid=True)

        check("failed and missed notifications are recorded",
              ap_e2e.wait_until(
                  lambda: len(recorded_ids(agg)) >= 3 and
                  "missed" in agg.log() and receiver.refused >= 2, 30))
        before_kill = recorded_ids(agg)
        agg.stop(signal.SIGKILL)
        with receiver.lock:
            receiver.down = False
        agg.start()
        stub = api_grpc.AggregatorStub(grpc.insecure_channel(agg.address()))
        check("each notification recorded before the crash arrives after it",
              ap_e2e.wait_until(lambda: before_kill <= receiver.ids(), 40),
              sorted(before_kill - receiver.ids()))
        check("failed and missed arrive",
              {"failed", "missed"} <= receiver.events(), receiver.events())

        open(flag, "w").close()
        check("recovered arrives once the workflow succeeds",
              ap_e2e.wait_until(lambda: "recovered" in receiver.events(), 30),
              receiver.events())
        stub.PauseWorkflow(api.PauseWorkflowRequest(id=slow.id),
                           metadata=auth, timeout=5)
        # Whatever was recorded by now arrives too.
        all_recorded = recorded_ids(agg)
        check("every recorded notification arrives at least once",
              ap_e2e.wait_until(lambda: all_recorded <= receiver.ids(), 40),
              sorted(all_recorded - receiver.ids()))
        ap_e2e.wait_until(lambda: sum(
            r[0] == receiver.lost_answer for r in receiver.received) >= 2, 20)
        with receiver.lock:
            bodies = {}
            repeats = 0
            for nid, _, body in receiver.received:
                repeats += nid in bodies
                bodies.setdefault(nid, set()).add(body)
        check("a notification whose answer was lost came again, the same",
              sum(r[0] == receiver.lost_answer for r in receiver.received) >= 2
              and all(len(b) == 1 for b in bodies.values()))
        print("received %d, %d of them repeats, %d refused" %
              (len(receiver.received), repeats, receiver.refused))
        metrics = agg.metrics()
        check("/metrics counts deliveries",
              any(k.startswith("ap_notifications_total{") and
                  'result="delivered"' in k for k in metrics), metrics)
    finally:
        if op is not None:
            op.kill()
        receiver.shutdown()
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
