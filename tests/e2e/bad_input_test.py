#!/usr/bin/python3
"""Malformed and hostile input against a real aggregator process: the user
API, the Node API, the admin REPL and the raw gRPC port. Each gets a clear
error (the code, and the field where there is one), and afterwards the
aggregator still serves: health SERVING, a valid workflow is created.

usage: bad_input_test.py BUILD_DIR SOURCE_DIR
"""
import os
import socket
import sys
import tempfile

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402


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
        token = agg.secret("operators", "add", "--id=op-1")
        agg.start()
        channel = grpc.insecure_channel(agg.address())
        users = api_grpc.AggregatorStub(channel)
        nodes = node_grpc.NodeStub(channel)
        as_user = (("authorization", "Bearer " + key),)
        as_op = (("authorization", "Bearer " + token),)

        def valid():
            w = wf.Workflow(name="ok")
            w.trigger.cron.schedules.append("*/5 * * * *")
            w.steps.add(id="s").http.url = "http://127.0.0.1:9/"
            return w

        def expect(name, call, code, text=""):
            try:
                call()
                check(name, False, "accepted")
            except grpc.RpcError as e:
                check(name, e.code() == code and text in (e.details() or ""),
                      "%s: %s" % (e.code(), (e.details() or "")[:300]))

        def create(w):
            return lambda: users.CreateWorkflow(
                api.CreateWorkflowRequest(workflow=w), metadata=as_user,
                timeout=10)

        inv = grpc.StatusCode.INVALID_ARGUMENT
        w = valid()
        w.name = "n" * (1 << 20)
        expect("a 1 MiB name", create(w), inv, "name")
        w = valid()
        for i in range(1000):
            w.steps.add(id="s%d" % i).http.url = "http://127.0.0.1:9/"
        expect("1000 steps", create(w), inv, "steps")
        w = valid()
        w.steps[0].http.body = "{{ steps.s.output }}" * 10000
        expect("10,000 placeholders", create(w), inv, "steps[0]")
        w = valid()
        w.steps[0].http.body = "{{" * 1000
        expect("an unclosed placeholder", create(w), inv, "steps[0]")
        w = valid()
        w.trigger.cron.timezone = "Mars/Olympus_Mons"
        expect("an unknown time zone", create(w), inv, "timezone")
        w = valid()
        w.policy.execution_timeout.seconds = -5
        expect("a negative duration", create(w), inv, "execution_timeout")
        w = valid()
        w.policy.concurrency = 99
        expect("an unknown enum value", create(w), inv, "concurrency")
        w = valid()
        w.trigger.cron.schedules[0] = "61 * * * *"
        expect("a cron field out of range", create(w), inv,
               "trigger.cron.schedules[0]")
        w = valid()
        w.trigger.interval.every.nanos = 1000  # replaces the cron trigger
        expect("an interval under 1 s", create(w), inv, "interval")
        w = valid()
        w.steps[0].http.body = "x" * (5 << 20)
        expect("a 5 MiB message", create(w),
               grpc.StatusCode.RESOURCE_EXHAUSTED)
        garbage = channel.unary_unary(
            "/ap.v1.Aggregator/CreateWorkflow",
            request_serializer=lambda b: b, response_deserializer=lambda b: b)
        expect("bytes that are not a protobuf",
               lambda: garbage(b"\xff\xff\xff\xff garbage", metadata=as_user,
                               timeout=5), grpc.StatusCode.INTERNAL)
        expect("no credentials", lambda: users.ListWorkflows(
            api.ListWorkflowsRequest(), timeout=5),
            grpc.StatusCode.UNAUTHENTICATED)
        expect("an operator token on the user API", lambda: users.ListWorkflows(
            api.ListWorkflowsRequest(), metadata=as_op, timeout=5),
            grpc.StatusCode.UNAUTHENTICATED)
        expect("a page size out of range", lambda: users.ListWorkflows(
            api.ListWorkflowsRequest(page_size=-1), metadata=as_user,
            timeout=5), inv, "page_size")
        expect("a forged page token", lambda: users.ListWorkflows(
            api.ListWorkflowsRequest(page_token="\x00garbage"),
            metadata=as_user, timeout=5), inv, "page_token")

        expect("an API key on the Node API", lambda: nodes.Ping(
            node.PingRequest(operator_id="op-1"), metadata=as_user,
            timeout=5), grpc.StatusCode.UNAUTHENTICATED)
        expect("another operator's id", lambda: nodes.Ping(
            node.PingRequest(operator_id="op-2"), metadata=as_op, timeout=5),
            grpc.StatusCode.PERMISSION_DENIED)
        expect("a report with an impossible status", lambda: nodes.Report(
            node.ReportRequest(operator_id="op-1", execution_id="x",
                               attempt=1, status=wf.EXECUTION_STATUS_SKIPPED),
            metadata=as_op, timeout=5), inv, "status")
        expect("a report with an unknown status", lambda: nodes.Report(
            node.ReportRequest(operator_id="op-1", execution_id="x",
                               attempt=1, status=42),
            metadata=as_op, timeout=5), inv, "status")
        r = nodes.Report(node.ReportRequest(
            operator_id="op-1", execution_id="no-such-execution", attempt=1,
            status=wf.EXECUTION_STATUS_SUCCEEDED), metadata=as_op, timeout=5)
        check("a report for an execution that does not exist is STALE",
              r.result == node.REPORT_RESULT_STALE, r)

        import subprocess
        repl = subprocess.run(
            ["socat", "-t2", "-", "UNIX-CONNECT:" + agg.socket],
            input=b"\x00\xff\xfe garbage\nget\nlist\nrm\n" + b"a" * 5000 +
            b"\nexit\n", capture_output=True, timeout=10)
        out = repl.stdout.decode(errors="replace")
        check("REPL: garbage is an unknown command, with the commands listed",
              'error: unknown command "\\x00' in out and "commands:" in out,
              out[:800])
        check("REPL: a command without its argument says so",
              "error: wrong arguments for get" in out, out[:800])
        check("REPL: an overlong line is refused, the session goes on",
              "line longer than 4096 bytes" in out and "bye" in out,
              out[-800:])

        # Raw TCP: HTTP/1 garbage, and a connection that never speaks.
        host, port = "127.0.0.1", agg.port
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(4096))
            try:
                s.recv(1024)
            except OSError:
                pass
        idle = socket.create_connection((host, port), timeout=5)
        created = users.CreateWorkflow(api.CreateWorkflowRequest(
            workflow=valid()), metadata=as_user, timeout=5)
        idle.close()
        check("after all that, a valid workflow is created", bool(created.id))
        check("the aggregator is still running", agg.proc.poll() is None)
        check("health is SERVING", subprocess.run(
            [os.path.join(build, "cli/apctl"), "--aggregator=" + agg.address(),
             "health"], capture_output=True).returncode == 0)
        channel.close()
    finally:
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
