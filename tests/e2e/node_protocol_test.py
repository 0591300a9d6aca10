#!/usr/bin/python3
"""The Node protocol against a real aggregator process, with a Python test
operator: ping, sync, assignment, report (accepted, then duplicate), and on
SIGTERM a Drain on the stream and a prompt exit 0.

usage: node_protocol_test.py BUILD_DIR SOURCE_DIR
"""
import os
import signal
import sys
import tempfile
import threading
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402


def main():
    build, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    agg = ap_e2e.Aggregator(build, work, ["--heartbeat-interval=200ms"])
    check = ap_e2e.Checks()
    try:
        ap_e2e.compile_protos(src, work)
        from ap.v1 import aggregator_pb2 as api
        from ap.v1 import aggregator_pb2_grpc as api_grpc
        from ap.v1 import node_pb2 as node
        from ap.v1 import node_pb2_grpc as node_grpc
        from ap.v1 import workflow_pb2 as wf

        key = agg.secret("keys", "create", "--owner=e2e", "--role=writer")
        token = agg.secret("operators", "add", "--id=op-1")
        user = (("authorization", "Bearer " + key),)
        op = (("authorization", "Bearer " + token),)
        agg.start()
        channel = grpc.insecure_channel(agg.address())
        users = api_grpc.AggregatorStub(channel)
        nodes = node_grpc.NodeStub(channel)

        pong = nodes.Ping(node.PingRequest(operator_id="op-1", version="e2e",
                                           capacity=1), metadata=op, timeout=5)
        check("ping answers the aggregator id", len(pong.aggregator_id) == 26)

        w = wf.Workflow(name="manual")
        w.trigger.manual.SetInParent()
        w.steps.add(id="s").http.url = "http://127.0.0.1:9/"
        created = users.CreateWorkflow(api.CreateWorkflowRequest(workflow=w),
                                       metadata=user, timeout=5)
        execution = users.TriggerWorkflow(
            api.TriggerWorkflowRequest(id=created.id), metadata=user, timeout=5)

        messages = []
        # Its own channel: closing the unary one must not end the stream.
        sync_channel = grpc.insecure_channel(agg.address())
        stream = node_grpc.NodeStub(sync_channel).Sync(node.SyncRequest(operator_id="op-1", version="e2e",
                                             capacity=1), metadata=op, timeout=60)

        def read():
            try:
                for m in stream:
                    messages.append(m)
            except grpc.RpcError:
                pass
        reader = threading.Thread(target=read)
        reader.start()

        def wait_for(kind):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                for m in list(messages):
                    if m.WhichOneof("kind") == kind:
                        return m
                time.sleep(0.05)
            return None

        assignment = wait_for("assignment")
        check("the pending execution is assigned on connect",
              assignment is not None and
              assignment.assignment.execution_id == execution.id)
        check("heartbeats flow", wait_for("heartbeat") is not None)

        report = node.ReportRequest(operator_id="op-1", execution_id=execution.id,
                                    attempt=1, status=wf.EXECUTION_STATUS_SUCCEEDED)
        first = nodes.Report(report, metadata=op, timeout=5)
        again = nodes.Report(report, metadata=op, timeout=5)
        check("first report ACCEPTED", first.result == node.REPORT_RESULT_ACCEPTED)
        check("repeat DUPLICATE", again.result == node.REPORT_RESULT_DUPLICATE)
        got = users.GetExecution(api.GetExecutionRequest(id=execution.id),
                                 metadata=user, timeout=5)
        check("outcome recorded", got.status == wf.EXECUTION_STATUS_SUCCEEDED)

        channel.close()
        started = time.monotonic()
        code = agg.stop(signal.SIGTERM)
        took = time.monotonic() - started
        reader.join(timeout=10)
        sync_channel.close()
        check("SIGTERM sends Drain to the operator", wait_for("drain") is not None)
        check("SIGTERM exits 0 without waiting out the grace period",
              code == 0 and took < 5, "exit %s after %.1f s" % (code, took))
    finally:
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
