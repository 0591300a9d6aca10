#!/usr/bin/python3
"""High availability with real processes on 127.0.0.1 (shared/DESIGN.md §8):
a PostgreSQL server of the test's own (initdb and pg_ctl as the postgres
user when run as root; the test fails, not skips, when it cannot start),
three aggregators on it (store: postgres, leader_lease 3 s) and two
operators given all three members, with a workflow firing every second
whose one step POSTs "{{execution.id}} {{execution.attempt}}" to a local
target. Then:

  - the leader is killed with SIGKILL, twice: a standby leads within 5 s,
    and the killed one comes back as a standby;
  - the leader is stopped with SIGSTOP past its lease and resumed: another
    leads meanwhile, and the resumed one stands by;
  - the database is stopped for 30 s and started again: meanwhile every
    aggregator keeps serving (/health 200) and none is ready (/ready 503);
    after, a leader takes the fires that came due by the misfire policy.

Afterwards every scheduled second is recorded exactly once and succeeded,
the target never received one (execution, attempt) twice, and no row was
written by an epoch after the next epoch's term began (ap_leader_terms):
the resumed old leader landed nothing.

usage: ha_test.py BUILD_DIR SOURCE_DIR
"""
import collections
import glob
import http.server
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402

LEASE_S = 3


class Target(http.server.BaseHTTPRequestHandler):
    """Counts POST bodies: "<execution id> <attempt>"."""
    hits = collections.Counter()
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Target.lock:
            Target.hits[body.decode()] += 1
        try:
            self.send_response(200)
            self.end_headers()
        except OSError:
            pass

    def log_message(self, *args):
        pass


class Postgres:
    """initdb + pg_ctl in `work`/pg, on a unix socket there only."""

    def __init__(self, work):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("no /usr/lib/postgresql/*/bin/pg_ctl "
                               "(scripts/install-deps.sh installs it)")
        self.bin = os.path.dirname(found[-1])
        self.dir = os.path.join(work, "pg")
        os.makedirs(self.dir)
        self.as_user = []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.run("initdb", "-D", self.dir + "/data", "-A", "trust",
                 "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.start()

    def run(self, tool, *args):
        r = subprocess.run(self.as_user + [os.path.join(self.bin, tool)] +
                           list(args), capture_output=True, text=True)
        if r.returncode != 0:
            log = os.path.join(self.dir, "server.log")
            tail = open(log).read()[-2000:] if os.path.exists(log) else ""
            raise RuntimeError("%s failed: %s%s\n%s" % (tool, r.stdout,
                                                        r.stderr, tail))

    def start(self):
        self.run("pg_ctl", "-D", self.dir + "/data", "-l",
                 self.dir + "/server.log", "-w", "-t", "30", "-o",
                 "-k %s -c listen_addresses='' -c fsync=off" % self.dir,
                 "start")

    def stop(self):
        self.run("pg_ctl", "-D", self.dir + "/data", "-m", "immediate", "-w",
                 "stop")

    def dsn(self):
        return "host=%s port=5432 user=postgres dbname=postgres" % self.dir

    def query(self, sql):
        r = subprocess.run(["psql", self.dsn(), "-At", "-c", sql],
                           capture_output=True, text=True, check=True)
        return [line for line in r.stdout.splitlines() if line]


def leaders(aggs):
    """The aggregators whose /metrics say they lead."""
    out = []
    for a in aggs:
        if a.proc is None or a.proc.poll() is not None or a.stopped:
            continue
        try:
            if a.metrics().get("ap_leader") == 1:
                out.append(a)
        except Exception:  # noqa: BLE001 (not answering: not leading)
            pass
    return out


def one_leader(aggs, timeout):
    found = []

    def check():
        found[:] = leaders(aggs)
        return len(found) == 1
    return found[0] if ap_e2e.wait_until(check, timeout, 0.1) else None


def http_code(agg, path):
    import urllib.error
    import urllib.request
    port = agg.http_port()
    try:
        return urllib.request.urlopen(
            "http://127.0.0.1:%s%s" % (port, path), timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def main():
    build, src = sys.argv[1], sys.argv[2]
    check = ap_e2e.Checks()
    work = tempfile.mkdtemp(prefix="ap-ha-")
    os.chmod(work, 0o711)  # the postgres user reaches its directory in it
    protos = os.path.join(work, "protos")
    os.makedirs(protos)
    ap_e2e.compile_protos(src, protos, ("workflow", "aggregator"))
    from ap.v1 import aggregator_pb2, aggregator_pb2_grpc, workflow_pb2
    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    pg, aggs, ops = None, [], []
    try:
        pg = Postgres(work)
        db = ["--store=postgres", "--postgres-dsn=" + pg.dsn()]
        ports = [ap_e2e.free_port() for _ in range(3)]
        members = ["127.0.0.1:%d" % p for p in ports]
        for i, port in enumerate(ports):
            d = os.path.join(work, "agg-%d" % i)
            os.makedirs(d)
            a = ap_e2e.Aggregator(build, d, db + [
                "--grpc-listen=127.0.0.1:%d" % port,
                "--advertise-address=127.0.0.1:%d" % port,
                "--leader-lease=%ds" % LEASE_S,
                "--heartbeat-interval=500ms", "--ping-interval=1s"])
            a.stopped = False
            aggs.append(a)
        admin = aggs[0]
        key = admin.secret(*db, "keys", "create", "--owner=e2e",
                           "--role=writer")
        for a in aggs:
            a.start()
        for op_id in ("op-a", "op-b"):
            token = admin.secret(*db, "operators", "add", "--id=" + op_id)
            op = ap_e2e.Operator(build, work, members, token, op_id)
            ops.append(op)
            op.start()

        def call(method, request):
            # Any member: standbys forward to the leader.
            for m in members:
                channel = grpc.insecure_channel(m)
                try:
                    return getattr(aggregator_pb2_grpc.AggregatorStub(channel),
                                   method)(request, metadata=(
                                       ("authorization", "Bearer " + key),),
                                       timeout=5)
                except grpc.RpcError:
                    continue
                finally:
                    channel.close()
            raise RuntimeError("no member answered " + method)

        def executions(wid):
            r = call("ListExecutions", aggregator_pb2.ListExecutionsRequest(
                workflow_id=wid, page_size=1000))
            return list(r.executions)

        w = workflow_pb2.Workflow(name="every-second")
        w.trigger.cron.schedules.append("* * * * * *")
        step = w.steps.add(id="hit")
        step.http.method = "POST"
        step.http.url = "http://127.0.0.1:%d/" % target.server_port
        step.http.body = "{{execution.id}} {{execution.attempt}}"
        wid = call("CreateWorkflow",
                   aggregator_pb2.CreateWorkflowRequest(workflow=w)).id
        check("executions succeed on the first leader", ap_e2e.wait_until(
            lambda: sum(e.status == workflow_pb2.EXECUTION_STATUS_SUCCEEDED
                        for e in executions(wid)) >= 3, 30))

        for n in (1, 2):
            leader = one_leader(aggs, 10)
            check("kill %d: one leader before" % n, leader is not None)
            killed_at = time.time()
            leader.kill()
            after = one_leader(aggs, 5 + 2)
            took = time.time() - killed_at
            check("kill %d: a standby leads within 5 s of the SIGKILL" % n,
                  after is not None and took <= 5.5, "%.1f s" % took)
            check("kill %d: and it fires" % n, ap_e2e.wait_until(
                lambda: after.metrics().get('ap_fires_total{result="recorded"}', 0) > 0,
                10))
            leader.start()  # back, as a standby
            time.sleep(3)

        leader = one_leader(aggs, 10)
        check("stop: one leader before", leader is not None)
        leader.proc.send_signal(signal.SIGSTOP)
        leader.stopped = True
        other = one_leader(aggs, LEASE_S + 5)
        check("stop: another leads while it is stopped", other is not None)
        time.sleep(2)
        leader.proc.send_signal(signal.SIGCONT)
        leader.stopped = False
        check("stop: the resumed one stands by", ap_e2e.wait_until(
            lambda: leader.metrics().get("ap_leader") == 0, 10),
            leader.log_tail())

        time.sleep(2)
        pg.stop()
        time.sleep(LEASE_S + 5)
        codes = [(http_code(a, "/health"), http_code(a, "/ready"))
                 for a in aggs]
        check("database down: every aggregator serves and none is ready",
              codes == [(200, 503)] * 3, codes)
        time.sleep(30 - LEASE_S - 5)
        pg.start()
        check("database back: a leader again", one_leader(aggs, 20)
              is not None)
        time.sleep(5)

        call("PauseWorkflow", aggregator_pb2.PauseWorkflowRequest(id=wid))
        open_statuses = {workflow_pb2.EXECUTION_STATUS_PENDING,
                         workflow_pb2.EXECUTION_STATUS_DISPATCHED,
                         workflow_pb2.EXECUTION_STATUS_RUNNING}
        check("every execution finished", ap_e2e.wait_until(
            lambda: not [e for e in executions(wid)
                         if e.status in open_statuses], 60))
        got = executions(wid)
        seconds = sorted(e.scheduled_at.seconds for e in got)
        check("every scheduled second is recorded exactly once",
              seconds == list(range(seconds[0], seconds[-1] + 1)),
              "%d records over %d s" % (len(seconds),
                                        seconds[-1] - seconds[0] + 1))
        check("every one succeeded",
              all(e.status == workflow_pb2.EXECUTION_STATUS_SUCCEEDED
                  for e in got),
              [(e.id, e.status, e.reason) for e in got
               if e.status != workflow_pb2.EXECUTION_STATUS_SUCCEEDED])
        with Target.lock:
            twice = {k: n for k, n in Target.hits.items() if n > 1}
            reached = {k.split(" ")[0] for k in Target.hits}
        check("the target never got one (execution, attempt) twice",
              not twice, twice)
        check("every execution reached the target",
              all(e.id in reached for e in got),
              [e.id for e in got if e.id not in reached])
        terms = pg.query("SELECT count(*) FROM ap_leader_terms")
        check("at least four terms (two kills, a stop)",
              int(terms[0]) >= 4, terms)
        late = pg.query(
            "SELECT e.id, e.written_epoch FROM ap_executions e "
            "JOIN ap_leader_terms t ON t.epoch = e.written_epoch + 1 "
            "WHERE e.written_at >= t.since")
        check("no write landed after its epoch's next term began", not late,
              late)
        codes = [op.stop(signal.SIGTERM) for op in ops]
        check("operators drain with exit 0", codes == [0, 0], codes)
        codes = [a.stop(signal.SIGTERM) for a in aggs]
        check("aggregators drain with exit 0", codes == [0, 0, 0], codes)
    except Exception as e:  # a crash of the test is a failure too
        import traceback
        traceback.print_exc()
        check("ran to the end", False, repr(e))
    finally:
        if check.failed:
            for a in aggs:
                print("--- %s ---\n%s" % (a.log_path, a.log_tail(40)))
            for op in ops:
                print("--- %s ---\n%s" % (op.id, op.log()[-2000:]))
        for p in ops + aggs:
            if getattr(p, "stopped", False):
                p.proc.send_signal(signal.SIGCONT)
            p.kill()
        if pg is not None:
            try:
                pg.stop()
            except RuntimeError:
                pass
        target.shutdown()
        if not (check.failed and os.environ.get("AP_KEEP")):
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(check.finish())


if __name__ == "__main__":
    main()
