#!/usr/bin/python3
"""Fault tests with real aggregator and operator processes on 127.0.0.1
(shared/DESIGN.md §3-5). Each scenario starts its own processes in its own
directory and stops them all, even when a check fails.

  crash     kill -9 the aggregator while a workflow fires every second and
            two operators work; restart it 3 s later: every scheduled second
            is recorded once and succeeds, no execution reaches the HTTP
            target twice, both operators relink within 1.5 s of it serving;
            then SIGTERM drains both with exit 0.
  outage    the same with the aggregator down for 20 s: outcomes made
            meanwhile wait in the spools and are all recorded after.
  operator  kill -9 the operator running an execution: after the lease the
            execution is retried and succeeds on the other operator.
  stall     SIGSTOP the aggregator (the TCP connection stays open): the
            operator's watchdog finds the silent stream; after SIGCONT it
            relinks.
  flap      the aggregator up 1 s, down 1 s, ten times: the operator's
            backoff grows and is not reset, and it does not storm.
  shutdown  SIGTERM to both operators, then the aggregator, while a workflow
            fires every second: exit codes 0, spools flushed, nothing left
            in flight, every second recorded once.

usage: faults_test.py BUILD_DIR SOURCE_DIR [SCENARIO...]
"""
import collections
import datetime
import http.server
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402


class Target(http.server.BaseHTTPRequestHandler):
    """Counts requests by body (the execution id); /slow takes 1.5 s."""
    hits = collections.Counter()
    arrived = threading.Event()
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Target.arrived.set()
        if self.path == "/slow":
            time.sleep(1.5)
        with Target.lock:
            Target.hits[body.decode()] += 1
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")
        except OSError:
            pass  # the operator was killed while we worked

    def log_message(self, *args):
        pass


class Scenario:
    """Processes, an API client and cleanup for one scenario."""

    def __init__(self, build, src, check, name, agg_extra=()):
        self.build, self.check, self.name = build, check, name
        self.work = tempfile.mkdtemp(prefix="ap-" + name + "-")
        self.port = ap_e2e.free_port()
        self.agg = ap_e2e.Aggregator(
            build, self.work, ["--heartbeat-interval=500ms"] + list(agg_extra)
            + ["--grpc-listen=127.0.0.1:%d" % self.port])
        self.key = self.agg.secret("keys", "create", "--owner=e2e",
                                   "--role=writer")
        self.ops, self.others = [], []
        from ap.v1 import aggregator_pb2, aggregator_pb2_grpc, workflow_pb2
        self.api, self.wf = aggregator_pb2, workflow_pb2
        self.api_grpc = aggregator_pb2_grpc

    def operator(self, op_id, endpoints=None, extra=()):
        token = self.agg.secret("operators", "add", "--id=" + op_id)
        op = ap_e2e.Operator(self.build, self.work,
                             endpoints or ["127.0.0.1:%d" % self.port], token,
                             op_id, extra)
        self.ops.append(op)
        return op

    def stub(self):
        channel = grpc.insecure_channel("127.0.0.1:%d" % self.port)
        return self.api_grpc.AggregatorStub(channel), channel

    def call(self, method, request):
        stub, channel = self.stub()
        try:
            return getattr(stub, method)(
                request, metadata=(("authorization", "Bearer " + self.key),),
                timeout=5)
        finally:
            channel.close()

    def create(self, workflow):
        return self.call("CreateWorkflow",
                         self.api.CreateWorkflowRequest(workflow=workflow)).id

    def executions(self, workflow_id):
        out, token = [], ""
        while True:
            r = self.call("ListExecutions", self.api.ListExecutionsRequest(
                workflow_id=workflow_id, page_size=1000, page_token=token))
            out += list(r.executions)
            token = r.next_page_token
            if not token:
                return out

    def close(self):
        if self.check.failed and os.environ.get("AP_KEEP"):
            print("kept:", self.work)
            return
        for op in self.ops:
            if self.check.failed:
                print("--- %s log (tail) ---\n%s" % (op.id, op.log()[-2500:]))
            op.kill()
        for p in self.others:
            p.kill()
        ap_e2e.finish(self.agg, self.check, self.work)


def open_statuses(wf):
    return {wf.EXECUTION_STATUS_PENDING, wf.EXECUTION_STATUS_DISPATCHED,
            wf.EXECUTION_STATUS_RUNNING}


def every_second_slow(s, target_port):
    """Creates a workflow firing every second whose one step POSTs its
    execution id to the target's /slow (1.5 s); returns its id."""
    w = s.wf.Workflow(name="every-second-slow")
    w.trigger.cron.schedules.append("* * * * * *")
    step = w.steps.add(id="hit")
    step.http.method = "POST"
    step.http.url = "http://127.0.0.1:%d/slow" % target_port
    step.http.body = "{{execution.id}}"
    return s.create(w)


def crash(s, target_port, down=3, relink_within=1.5):
    check, wf = s.check, s.wf
    label = s.name
    ops = [s.operator("op-a", extra=["--healthy-reset=2s"]),
           s.operator("op-b", extra=["--healthy-reset=2s"])]
    s.agg.start()
    for op in ops:
        op.start()
    # 1.5 s each: some are always running when the aggregator dies, so
    # their outcomes are made while it is down and must come from spools.
    wid = every_second_slow(s, target_port)
    check(label + ": executions succeed before the crash", ap_e2e.wait_until(
        lambda: sum(e.status == wf.EXECUTION_STATUS_SUCCEEDED
                    for e in s.executions(wid)) >= 4, 20))
    s.agg.kill()
    time.sleep(down)
    s.agg.start()
    # gRPC answers before "serving" is logged (the HTTP server and loops
    # start in between): a link may come first, and counts as at once.
    started = ap_e2e.log_times(s.agg.log_path, "starting version=")[-1]
    serving = ap_e2e.log_times(s.agg.log_path, "serving grpc_port")[-1]
    relinked = ap_e2e.wait_until(lambda: all(
        ap_e2e.log_times(op.log_path, "aggregator_linked", started)
        for op in ops), 15)
    took = [max(datetime.timedelta(0), (ap_e2e.log_times(
        op.log_path, "aggregator_linked", started) or [serving])[0] - serving)
        for op in ops]
    check("%s: both operators relink within %.1f s of serving" % (
        label, relink_within), relinked and max(
            t.total_seconds() for t in took) <= relink_within, took)
    time.sleep(3)
    s.call("PauseWorkflow", s.api.PauseWorkflowRequest(id=wid))
    settled = ap_e2e.wait_until(lambda: not [
        e for e in s.executions(wid) if e.status in open_statuses(wf)], 20)
    got = s.executions(wid)
    seconds = sorted(e.scheduled_at.seconds for e in got)
    check(label + ": every execution finished", settled,
          [(e.id, e.status) for e in got if e.status in open_statuses(wf)])
    check(label + ": every scheduled second is recorded once",
          seconds == list(range(seconds[0], seconds[-1] + 1)),
          "%d records over %d s" % (len(seconds),
                                    seconds[-1] - seconds[0] + 1))
    check(label + ": every one succeeded (late ones run, not dropped)",
          all(e.status == wf.EXECUTION_STATUS_SUCCEEDED for e in got),
          [(e.id, e.status, e.reason) for e in got
           if e.status != wf.EXECUTION_STATUS_SUCCEEDED])
    with Target.lock:
        twice = {k: n for k, n in Target.hits.items() if n > 1}
        missed = [e.id for e in got if Target.hits[e.id] == 0]
    check(label + ": no execution reached the target twice", not twice, twice)
    check(label + ": every execution reached the target", not missed, missed)
    codes = [op.stop(signal.SIGTERM) for op in ops]
    check(label + ": operators drain with exit 0", codes == [0, 0], codes)
    check(label + ": the aggregator drains with exit 0",
          s.agg.stop(signal.SIGTERM) == 0)


def operator_killed(s, target_port):
    check, wf = s.check, s.wf
    a = s.operator("op-a", extra=["--capacity=1"])
    b = s.operator("op-b", extra=["--capacity=1"])
    s.agg.start()
    a.start()
    ap_e2e.wait_until(lambda: "aggregator_linked" in a.log(), 10)
    w = wf.Workflow(name="slow")
    w.trigger.manual.SetInParent()
    w.policy.execution_timeout.seconds = 2
    w.policy.retry.max_attempts = 3
    w.policy.retry.initial_backoff.seconds = 1
    step = w.steps.add(id="slow")
    step.http.method = "POST"
    step.http.url = "http://127.0.0.1:%d/slow" % target_port
    step.http.body = "{{execution.id}}"
    wid = s.create(w)
    Target.arrived.clear()
    exec_id = s.call("TriggerWorkflow", s.api.TriggerWorkflowRequest(
        id=wid)).id
    check("operator: op-a is running it", Target.arrived.wait(10))
    a.kill()  # mid-execution: no outcome, no spool entry
    b.start()

    def final():
        e = s.call("GetExecution", s.api.GetExecutionRequest(id=exec_id))
        return e if e.status == wf.EXECUTION_STATUS_SUCCEEDED else None
    check("operator: re-dispatched after the lease and succeeded",
          ap_e2e.wait_until(final, 25))
    e = s.call("GetExecution", s.api.GetExecutionRequest(id=exec_id))
    check("operator: on the other operator, as attempt 2",
          e.operator_id == "op-b" and e.attempt == 2,
          (e.operator_id, e.attempt, e.reason))


def stall(s, _):
    check = s.check
    op = s.operator("op-a", extra=["--healthy-reset=2s"])
    s.agg.start()
    op.start()
    check("stall: linked", ap_e2e.wait_until(
        lambda: "aggregator_linked" in op.log(), 10))
    s.agg.proc.send_signal(signal.SIGSTOP)
    try:
        check("stall: the silent stream is found (3 heartbeats)",
              ap_e2e.wait_until(lambda: "sync_stream_stale" in op.log(), 10),
              op.log()[-1500:])
        time.sleep(2)
    finally:
        s.agg.proc.send_signal(signal.SIGCONT)
    resumed = ap_e2e.log_times(s.agg.log_path, ".")[-1]
    check("stall: relinked after the aggregator resumed",
          ap_e2e.wait_until(lambda: ap_e2e.log_times(
              op.log_path, "aggregator_linked", resumed), 20),
          op.log()[-1500:])


def flap(s, _):
    check = s.check
    op = s.operator("op-a")
    s.agg.start()
    op.start()
    ap_e2e.wait_until(lambda: "aggregator_linked" in op.log(), 10)
    for _ in range(10):
        time.sleep(1)
        s.agg.kill()
        time.sleep(1)
        s.agg.start()
    m = op.metrics()
    connects = len(ap_e2e.log_times(s.agg.log_path, "operator_connected"))
    check("flap: the backoff grew and was not reset (>= 4 s)",
          m["backoff_delay_seconds"] >= 4 * 0.8, m)
    check("flap: no reconnect storm (at most 12 pings failed in ~25 s)",
          m["ping_failures"] <= 12, m)
    check("flap: fewer streams than up-periods", connects <= 11, connects)


def shutdown(s, target_port):
    check, wf = s.check, s.wf
    ops = [s.operator("op-a"), s.operator("op-b")]
    s.agg.start()
    for op in ops:
        op.start()
    wid = every_second_slow(s, target_port)
    check("shutdown: executions succeed", ap_e2e.wait_until(
        lambda: sum(e.status == wf.EXECUTION_STATUS_SUCCEEDED
                    for e in s.executions(wid)) >= 3, 20))
    # Under load: fires go on and executions run while the operators drain.
    codes = [op.stop(signal.SIGTERM) for op in ops]
    check("shutdown: operators drain under load with exit 0", codes == [0, 0],
          codes)
    check("shutdown: the aggregator drains with exit 0",
          s.agg.stop(signal.SIGTERM) == 0)
    from ap.v1 import node_pb2
    left = [o.execution_id for op in ops
            for o in ap_e2e.spooled(op.spool, node_pb2.ReportRequest.FromString)]
    check("shutdown: the spools were flushed", not left, left)
    s.agg.start()
    got = s.executions(wid)
    in_flight = [(e.id, e.status) for e in got if e.status in (
        wf.EXECUTION_STATUS_DISPATCHED, wf.EXECUTION_STATUS_RUNNING)]
    check("shutdown: nothing was left in flight (reported or handed back)",
          not in_flight, in_flight)
    seconds = sorted(e.scheduled_at.seconds for e in got)
    check("shutdown: every scheduled second is recorded once",
          seconds == list(range(seconds[0], seconds[-1] + 1)))


SCENARIOS = {
    "crash": (crash, ()),
    # The aggregator down for 20 s (a shortened 2 min): past the fast
    # retries, so the operators find it again by their backoff.
    "outage": (lambda s, port: crash(s, port, down=20, relink_within=10),
               ()),
    "operator": (operator_killed, ["--lease-grace=1s"]),
    "stall": (stall, ()),
    "flap": (flap, ()),
    "shutdown": (shutdown, ()),
}


def main():
    build, src = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or list(SCENARIOS)
    check = ap_e2e.Checks()
    protos = tempfile.mkdtemp(prefix="ap-protos-")
    ap_e2e.compile_protos(src, protos, ("workflow", "aggregator", "node"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for name in names:
            run, extra = SCENARIOS[name]
            s = Scenario(build, src, check, name, extra)
            try:
                run(s, server.server_port)
            except Exception as e:  # a crash of the test is a failure too
                check("%s: ran to the end" % name, False, repr(e))
                import traceback
                traceback.print_exc()
            finally:
                s.close()
    finally:
        server.shutdown()
        shutil.rmtree(protos, ignore_errors=True)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
