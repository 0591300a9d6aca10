#!/usr/bin/python3
"""Operators as real processes against a real aggregator process.

1. Reconnect: K operators linked to an aggregator for longer than their
   healthy_reset; the aggregator is killed with SIGKILL and started again
   after a pause. Measured: from the aggregator's "serving" log line to the
   last operator's "aggregator_linked" line (timestamps from the logs).
2. Throughput: W interval workflows firing every E seconds (W/E executions
   a second offered, spread evenly), each one step run by the K operators:
   the command /bin/true, or (--step=http) a GET on bench/http_target, a
   keep-alive HTTP server started here. After a warm-up, over a window:
   - completed: executions SUCCEEDED whose finish falls inside the window
     (not those scheduled in it and finished later);
   - the backlog: executions open (pending, dispatched, running; from
     /metrics) every 0.5 s, and how much it grew over the window. A run
     HOLDS when at least 97 % of the offered rate completed, the
     backlog grew by no more than max(50, 0.1 s of the offered rate) and
     no fire is held back more than 1 s at the window's end (the
     aggregator holds fires back while max_pending executions wait:
     ap_fire_delay_seconds says how late the oldest is);
   - scheduled -> started and -> finished (p50/p99) of the fires
     scheduled in the window, from the records;
   - of the completed: dispatched -> started and started -> finished
     (p50/p99), and how long a slot takes to turn over when every slot is
     busy (slots / completed rate): what is not the step is the round trip
     around it (dispatch, the outcome's spool and report);
   - with --drain=S, after the window every workflow is paused and the
     time until no execution is open is measured (overload: is the
     backlog worked off once the load drops?);
   - CPU of the whole machine (/proc/stat) per completed execution, split
     into the aggregator, the operators with their children (the steps'
     processes), the target, and the rest (kernel work charged to no
     process, the bench itself); user and system apart.

Prints the figures; it is not a pass/fail test. Everything runs on
127.0.0.1 and is stopped at the end.

usage: operator_bench.py BUILD_DIR SOURCE_DIR [--operators=50]
       [--workflows=1000] [--every=1] [--seconds=10] [--capacity=16]
       [--healthy-reset=5s] [--down=3] [--create-rate=300]
       [--warmup=3] [--step=command|http] [--no-reconnect] [--drain=S]
       [--start-deadline=S]
"""
import argparse
import concurrent.futures
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "e2e"))
import ap_e2e  # noqa: E402

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z")


def stamp_of(line):
    m = STAMP.match(line)
    return datetime.datetime.fromisoformat(m.group(1)) if m else None


def last_line_with(path, text, after=None):
    """The timestamp of the last line containing `text` (after `after`)."""
    found = None
    with open(path) as f:
        for line in f:
            if text in line:
                t = stamp_of(line)
                if t and (after is None or t >= after):
                    found = t
    return found



def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0


class Operators:
    def __init__(self, build, work, port, tokens, healthy_reset, capacity):
        self.procs, self.logs = [], []
        binary = os.path.join(build, "operator/operator")
        for i, token in enumerate(tokens):
            env = dict(os.environ, AP_OPERATOR_TOKEN=token)
            log = os.path.join(work, "op-%d.log" % i)
            self.logs.append(log)
            self.procs.append(subprocess.Popen(
                [binary, "--aggregator=127.0.0.1:%d" % port,
                 "--id=op-%d" % i, "--capacity=%d" % capacity,
                 "--spool-dir=" + os.path.join(work, "spool-%d" % i),
                 "--http-listen=127.0.0.1:0", "--log-level=info",
                 "--allowed-commands=/bin/true",
                 "--healthy-reset=" + healthy_reset],
                env=env, stderr=open(log, "a")))

    def linked_since(self, t):
        return [last_line_with(log, "aggregator_linked", t)
                for log in self.logs]

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def reconnect(agg, ops, args):
    if not ap_e2e.wait_until(lambda: all(ops.linked_since(None)), 30):
        sys.exit("not every operator linked; see the logs in " + args.work)
    time.sleep(args.healthy + 1)
    down_at = datetime.datetime.utcnow()
    agg.kill()
    time.sleep(args.down)
    agg.start()
    # Operators may link before the "serving" line is written: count links
    # from the new process's first line, and those before "serving" as 0.
    started = last_line_with(agg.log_path, "aggregator starting")
    serving = last_line_with(agg.log_path, "serving grpc_port")
    if not ap_e2e.wait_until(lambda: all(ops.linked_since(started)), 30):
        for log, t in zip(ops.logs, ops.linked_since(started)):
            if t is None:
                with open(log) as f:
                    print("--- %s\n%s" % (log, "".join(f.readlines()[-8:])))
        sys.exit("not every operator relinked within 30 s")
    linked = ops.linked_since(started)
    took = [max(0.0, (t - serving).total_seconds()) for t in linked]
    # The rule (issue 18): every operator relinks within max(1.5 s, D/10)
    # of the aggregator serving again, D the outage, up to 5 minutes.
    outage = (serving - down_at).total_seconds()
    bound = max(1.5, outage / 10)
    print("reconnect: %d operators, aggregator down %.1f s (killed to "
          "serving): all relinked %.0f ms after it served (p50 %.0f ms); "
          "bound max(1.5 s, D/10) = %.0f ms: %s" %
          (len(took), outage, max(took) * 1000, percentile(took, 0.5) * 1000,
           bound * 1000, "met" if max(took) <= bound else "NOT MET"))


def process_cpu(pid):
    """(user, system) CPU seconds of a process so far, its reaped children
    (a command step's /bin/true) included."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = float(os.sysconf("SC_CLK_TCK"))
    return ((int(fields[11]) + int(fields[13])) / tick,
            (int(fields[12]) + int(fields[14])) / tick)


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat:
    user, nice, system, irq, softirq and steal are busy; idle and iowait
    are not)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    tick = float(os.sysconf("SC_CLK_TCK"))
    return (sum(v) - v[3] - v[4]) / tick, sum(v) / tick


def peak_rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0


def open_in(metrics):
    """Executions not finished (pending, dispatched, running), from
    /metrics as Aggregator.metrics() reads it."""
    return sum(v for k, v in metrics.items()
               if k.startswith("ap_executions_open{"))


def open_executions(agg):
    return open_in(agg.metrics())


def backlog_now(agg):
    """(open executions, seconds the oldest fire not recorded yet is late):
    the backlog is both the executions waiting and the fires the
    aggregator holds back while max_pending executions wait."""
    m = agg.metrics()
    return open_in(m), m.get("ap_fire_delay_seconds", 0.0)


class Target:
    """bench/http_target: the HTTP steps' keep-alive target."""

    def __init__(self, build):
        self.proc = subprocess.Popen(
            [os.path.join(build, "bench/http_target")],
            stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.communicate(timeout=10)[0].strip()


def seconds_of(ts):
    return ts.seconds + ts.nanos / 1e9


def throughput(agg, ops, target, api, api_grpc, wf, keys, args):
    """`keys`: API keys of one owner per 1,000 workflows (an owner may
    have 10,000, and each create counts the owner's workflows); workflow i
    belongs to keys[i % len(keys)]."""
    users = api_grpc.AggregatorStub(grpc.insecure_channel(agg.address()))
    metas = [(("authorization", "Bearer " + key),) for key in keys]
    # Fires start once every workflow exists, spread evenly over `every`
    # (creates run 8 at a time, at about --create-rate a second); the
    # window opens after --warmup seconds of firing.
    create_start = time.time()
    t0 = create_start + 5 + args.workflows / float(args.create_rate)

    def create(i):
        w = wf.Workflow(name="noop-%d" % i)
        w.trigger.interval.every.seconds = args.every
        start = t0 + args.every * i / args.workflows
        w.start_at.seconds = int(start)
        w.start_at.nanos = int((start % 1) * 1e9)
        if args.start_deadline:
            w.policy.start_deadline.seconds = args.start_deadline
        step = w.steps.add(id="noop")
        if target:
            step.http.url = "http://127.0.0.1:%d/" % target.port
        else:
            step.command.argv.append("/bin/true")
        return users.CreateWorkflow(api.CreateWorkflowRequest(workflow=w),
                                    metadata=metas[i % len(metas)],
                                    timeout=30).id

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(create, range(args.workflows)))
    created = time.time()
    if created > t0:
        sys.exit("creating took longer than planned; fires began before "
                 "every workflow existed")
    window_start = t0 + args.warmup
    window_end = window_start + args.seconds
    time.sleep(window_start - time.time())
    procs = {"aggregator": [agg.proc.pid],
             "operators": [p.pid for p in ops.procs]}
    if target:
        procs["target"] = [target.proc.pid]
    cpu0 = {name: [process_cpu(pid) for pid in pids]
            for name, pids in procs.items()}
    machine0 = machine_cpu()
    samples = [backlog_now(agg)]
    while time.time() < window_end - 0.6:
        time.sleep(0.5)
        samples.append(backlog_now(agg))
    time.sleep(max(0, window_end - time.time()))
    machine1 = machine_cpu()
    cpu1 = {name: [process_cpu(pid) for pid in pids]
            for name, pids in procs.items()}
    samples.append(backlog_now(agg))
    backlog = [int(s[0]) for s in samples]
    delay = [s[1] for s in samples]
    rss = {name: max(peak_rss_mib(pid) for pid in pids)
           for name, pids in procs.items()}
    # Outcomes of the window's last moments may still be on their way to
    # the store; only those finished inside the window are counted.
    time.sleep(2)
    if args.drain:
        # The load drops: no more fires. How long until the backlog is
        # worked off (or recorded by a start deadline)?
        paused_at = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: users.PauseWorkflow(
                api.PauseWorkflowRequest(id=ids[i]),
                metadata=metas[i % len(metas)], timeout=30), range(len(ids))))
        left = open_executions(agg)
        drain_start, peak = time.time(), left
        while left > 0 and time.time() < drain_start + args.drain:
            time.sleep(0.5)
            left = open_executions(agg)
        print("drain: %d open when the workflows were paused (%.1f s to "
              "pause them all), %d left after %.1f s" %
              (peak, drain_start - paused_at, left, time.time() - drain_start))

    def executions(i):
        return users.ListExecutions(api.ListExecutionsRequest(
            workflow_id=ids[i], page_size=1000),
            metadata=metas[i % len(metas)], timeout=30).executions

    completed, offered, started, finished, skipped = 0, 0, [], [], 0
    to_start, running = [], []  # the completed: dispatched, started, finished
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for listed in pool.map(executions, range(len(ids))):
            for e in listed:
                sched = seconds_of(e.scheduled_at)
                fin = seconds_of(e.finished_at)
                if (e.status == wf.EXECUTION_STATUS_SUCCEEDED and
                        window_start <= fin < window_end):
                    completed += 1
                    if e.HasField("dispatched_at") and e.HasField("started_at"):
                        to_start.append(seconds_of(e.started_at) -
                                        seconds_of(e.dispatched_at))
                        running.append(fin - seconds_of(e.started_at))
                if not window_start <= sched < window_end:
                    continue
                offered += 1
                if e.HasField("started_at"):
                    started.append(seconds_of(e.started_at) - sched)
                if e.status == wf.EXECUTION_STATUS_SUCCEEDED:
                    finished.append(fin - sched)
                if e.status == wf.EXECUTION_STATUS_SKIPPED:
                    skipped += 1
    rate = args.workflows / float(args.every)
    growth = backlog[-1] - backlog[0]
    # Fires held back are backlog too: a run whose oldest unrecorded fire
    # ends the window more than a second late does not hold.
    holds = (completed >= 0.97 * rate * args.seconds and
             growth <= max(50, 0.1 * rate) and delay[-1] <= 1.0)
    print("throughput: %s steps, %d workflows every %d s (%.0f/s offered), "
          "%d operators x %d: %d completed inside the %d s window (%.0f/s); "
          "%s" % ("HTTP" if target else "command", args.workflows, args.every,
                  rate, args.operators, args.capacity, completed,
                  args.seconds, completed / args.seconds,
                  "HOLDS" if holds else "DOES NOT HOLD"))
    print("backlog (open executions) at the window's start %d, max %d, end "
          "%d (grew by %d)" % (backlog[0], max(backlog), backlog[-1], growth))
    print("fires held back (ap_fire_delay_seconds): the oldest unrecorded "
          "fire %.1f s late at the window's start, %.1f s at its end (about "
          "%d fires at the offered rate)" %
          (delay[0], delay[-1], delay[-1] * rate))
    print("of the %d fires scheduled in the window: scheduled -> started "
          "p50 %.1f ms, p99 %.1f ms (%d started); -> finished p50 %.1f ms, "
          "p99 %.1f ms (%d succeeded, %d skipped by the start deadline)" %
          (offered, percentile(started, 0.5) * 1000,
           percentile(started, 0.99) * 1000, len(started),
           percentile(finished, 0.5) * 1000,
           percentile(finished, 0.99) * 1000, len(finished), skipped))
    # A slot is held from dispatch until the outcome is recorded; what is
    # not the step itself is the round trip around it.
    cycle = args.operators * args.capacity / max(1.0, completed / args.seconds)
    print("slots: of the completed, dispatched -> started p50 %.1f ms, p99 "
          "%.1f ms; started -> finished p50 %.1f ms, p99 %.1f ms; with every "
          "slot busy a slot would turn over in %.1f ms" %
          (percentile(to_start, 0.5) * 1000, percentile(to_start, 0.99) * 1000,
           percentile(running, 0.5) * 1000, percentile(running, 0.99) * 1000,
           cycle * 1000))
    busy = machine1[0] - machine0[0]
    total = machine1[1] - machine0[1]
    per = max(1, completed)
    parts = []
    accounted = 0
    for name in procs:
        user = sum(b[0] - a[0] for a, b in zip(cpu0[name], cpu1[name]))
        system = sum(b[1] - a[1] for a, b in zip(cpu0[name], cpu1[name]))
        accounted += user + system
        parts.append("%s %.0f µs (user %.0f, system %.0f; peak RSS %.0f MiB)"
                     % (name, (user + system) / per * 1e6, user / per * 1e6,
                        system / per * 1e6, rss[name]))
    parts.append("the rest (kernel work not charged to them, the bench) "
                 "%.0f µs" % ((busy - accounted) / per * 1e6))
    print("machine CPU: %.0f%% busy (%.2f of %d cores), %.0f µs per completed "
          "execution: %s" % (busy / total * 100, busy / args.seconds,
                             os.cpu_count(), busy / per * 1e6,
                             "; ".join(parts)))
    print("(workflows created at %.0f/s)" %
          (args.workflows / max(0.001, created - create_start)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("src")
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--every", type=int, default=1,
                        help="each workflow's interval, seconds")
    parser.add_argument("--capacity", type=int, default=16)
    parser.add_argument("--create-rate", type=int, default=300,
                        help="creates a second to plan for (fires begin "
                        "once all should exist)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="seconds of firing before the window opens")
    parser.add_argument("--step", choices=("command", "http"),
                        default="command",
                        help="/bin/true, or GET on bench/http_target "
                        "(needs a build with -DAP_BUILD_BENCH=ON)")
    parser.add_argument("--no-reconnect", action="store_true",
                        help="skip the reconnect measurement")
    parser.add_argument("--start-deadline", type=int, default=0,
                        help="each workflow's policy.start_deadline, "
                        "seconds (0: none)")
    parser.add_argument("--drain", type=int, default=0,
                        help="after the window, pause every workflow and "
                        "wait up to this many seconds for the backlog to "
                        "be worked off")
    parser.add_argument("--healthy-reset", default="5s")
    parser.add_argument("--down", type=int, default=3)
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch directory (logs) and say where")
    args = parser.parse_args()
    args.healthy = int(args.healthy_reset.rstrip("s"))
    args.work = tempfile.mkdtemp()
    ap_e2e.compile_protos(args.src, args.work)
    from ap.v1 import aggregator_pb2 as api
    from ap.v1 import aggregator_pb2_grpc as api_grpc
    from ap.v1 import workflow_pb2 as wf

    agg = ap_e2e.Aggregator(args.build, args.work, ["--log-level=info"])
    keys = [agg.secret("keys", "create", "--owner=bench-%d" % i,
                       "--role=writer")
            for i in range(max(1, (args.workflows + 999) // 1000))]
    # A token is bound to its operator id: one each.
    tokens = [agg.secret("operators", "add", "--id=op-%d" % i)
              for i in range(args.operators)]
    ops, target = None, None
    try:
        if args.step == "http":
            target = Target(args.build)
        port = ap_e2e.free_port()
        agg.extra.append("--grpc-listen=127.0.0.1:%d" % port)
        agg.start()
        ops = Operators(args.build, args.work, port, tokens,
                        args.healthy_reset, args.capacity)
        if not args.no_reconnect:
            reconnect(agg, ops, args)
        if args.workflows > 0:
            throughput(agg, ops, target, api, api_grpc, wf, keys, args)
    finally:
        if ops:
            ops.stop()
        if target:
            print("target:", target.stop())
        agg.kill()
        if args.keep:
            print("logs in", args.work)
        else:
            shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
