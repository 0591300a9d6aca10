#!/usr/bin/python3
"""Real aggregator processes: a workflow firing every second keeps every
scheduled second recorded exactly once across a graceful restart (SIGTERM)
and a crash (SIGKILL). Uses a foreign client (Python grpcio) with the ap
protos compiled here, and an API key made by `aggregator keys create`.

usage: aggregator_restart_test.py BUILD_DIR SOURCE_DIR
"""
import os
import signal
import sys
import tempfile
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402


def main():
    build, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    agg = ap_e2e.Aggregator(build, work)
    check = ap_e2e.Checks()

    try:
        ap_e2e.compile_protos(src, work, ("workflow", "aggregator"))
        from ap.v1 import aggregator_pb2 as api
        from ap.v1 import aggregator_pb2_grpc as api_grpc
        from ap.v1 import workflow_pb2 as wf

        key = agg.secret("keys", "create", "--owner=e2e", "--role=writer")
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
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
