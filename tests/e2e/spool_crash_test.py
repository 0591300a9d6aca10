#!/usr/bin/python3
"""kill -9 of an operator while its spool commits groups of outcomes.

An aggregator and one operator (capacity 32) run 100 interval workflows
firing every second, each a /bin/true step, so outcomes are group-committed
to the spool all the time. The operator is killed with SIGKILL five times
at moments that fall during group commits, and started again at once.
After each kill the outcomes on disk in its spool are read (what the
operator had made durable: acknowledged as spooled). In the end:
- every one of them is recorded by the aggregator with that attempt's
  status, unless a later attempt superseded it (none lost);
- every execution that ended is counted once in
  ap_execution_outcomes_total (none recorded twice: repeats of outcomes
  replayed from the spool are answered DUPLICATE);
- nothing is left open once the killed attempts' leases ran out.

usage: spool_crash_test.py BUILD_DIR SOURCE_DIR
"""
import os
import random
import signal
import sys
import tempfile
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402

WORKFLOWS = 100
KILLS = 5


def main():
    build, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    port = ap_e2e.free_port()
    agg = ap_e2e.Aggregator(build, work, ["--grpc-listen=127.0.0.1:%d" % port,
                                          "--lease-grace=1s",
                                          "--log-level=info"])
    check = ap_e2e.Checks()
    op = None
    try:
        ap_e2e.compile_protos(src, work)
        from ap.v1 import aggregator_pb2 as api
        from ap.v1 import aggregator_pb2_grpc as api_grpc
        from ap.v1 import node_pb2 as node
        from ap.v1 import workflow_pb2 as wf

        key = agg.secret("keys", "create", "--owner=e2e", "--role=writer")
        token = agg.secret("operators", "add", "--id=op-crash")
        user = (("authorization", "Bearer " + key),)
        agg.start()
        op = ap_e2e.Operator(build, work, [agg.address()], token, "op-crash",
                             ["--capacity=32", "--log-level=info",
                              "--allowed-commands=/bin/true"])
        op.start()
        users = api_grpc.AggregatorStub(grpc.insecure_channel(agg.address()))
        ids = []
        for i in range(WORKFLOWS):
            w = wf.Workflow(name="crash-%d" % i)
            w.trigger.interval.every.seconds = 1
            # A killed attempt's lease runs out 3 s later (2 s + grace).
            w.policy.execution_timeout.seconds = 2
            w.policy.retry.max_attempts = 3
            w.steps.add(id="s").command.argv.append("/bin/true")
            ids.append(users.CreateWorkflow(
                api.CreateWorkflowRequest(workflow=w), metadata=user,
                timeout=10).id)
        check("executions run", ap_e2e.wait_until(
            lambda: agg.metrics().get(
                'ap_execution_outcomes_total{status="succeeded"}', 0) > 50, 30))

        durable = {}  # (execution, attempt) -> status, read after each kill
        rng = random.Random(7)
        for _ in range(KILLS):
            time.sleep(1 + rng.random())
            op.proc.send_signal(signal.SIGKILL)
            op.proc.wait()
            for o in ap_e2e.spooled(op.spool, node.ReportRequest.FromString):
                durable[(o.execution_id, o.attempt)] = o.status
            op.start()
        check("the kills found outcomes durable in the spool", len(durable) > 0,
              str(len(durable)))
        time.sleep(2)
        for i in ids:  # stop firing; what was fired settles
            users.PauseWorkflow(api.PauseWorkflowRequest(id=i), metadata=user,
                                timeout=10)

        def executions():
            out = {}
            for i in ids:
                for e in users.ListExecutions(api.ListExecutionsRequest(
                        workflow_id=i, page_size=1000), metadata=user,
                        timeout=10).executions:
                    out[e.id] = e
            return out

        open_statuses = (wf.EXECUTION_STATUS_PENDING,
                         wf.EXECUTION_STATUS_DISPATCHED,
                         wf.EXECUTION_STATUS_RUNNING)
        settled = ap_e2e.wait_until(
            lambda: not [e for e in executions().values()
                         if e.status in open_statuses], 40, 1)
        got = executions()
        check("nothing is left open once the leases ran out", settled,
              str([(e.id, e.status) for e in got.values()
                   if e.status in open_statuses][:5]))
        lost = [(k, s) for k, s in durable.items()
                if k[0] not in got or got[k[0]].attempt < k[1] or
                (got[k[0]].attempt == k[1] and got[k[0]].status != s)]
        check("every outcome durable in the spool is recorded as spooled",
              not lost, str(lost[:5]))
        ended = [e for e in got.values() if e.status not in open_statuses
                 and e.status != wf.EXECUTION_STATUS_SKIPPED]
        m = agg.metrics()
        counted = sum(v for k, v in m.items()
                      if k.startswith("ap_execution_outcomes_total{"))
        check("every execution that ended is counted once",
              counted == len(ended), "%d counted, %d ended" %
              (counted, len(ended)))
    finally:
        if op is not None and op.proc and op.proc.poll() is None:
            op.proc.send_signal(signal.SIGTERM)
            op.proc.wait(timeout=30)
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
