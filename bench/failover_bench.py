#!/usr/bin/python3
"""Failover time with many workflows: two aggregator processes on a local
PostgreSQL (bench/pg_local.sh: fsync and synchronous_commit on), N interval
workflows stored by `node_bench --populate_only`, the leader killed with
SIGKILL once it fires; prints the time from the kill to the standby's
election and to its first recorded fire (written_at of the first
ap_executions row of the new epoch, by the database's clock, on this
machine), and how long the new leader took to load the workflows.

usage: failover_bench.py BUILD_DIR [--workflows=100000] [--every=60]
                         [--runs=3] [--lease=3]
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def arg(name, default):
    for a in sys.argv[2:]:
        if a.startswith("--%s=" % name):
            return int(a.split("=", 1)[1])
    return default


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(dsn, sql):
    return subprocess.run(["psql", dsn, "-At", "-c", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def leading(log_path):
    """The epoch this aggregator's log says it leads, or None."""
    with open(log_path) as f:
        found = re.findall(r"leading epoch=(\d+)", f.read())
    return int(found[-1]) if found else None


def main():
    build = sys.argv[1]
    n, every = arg("workflows", 100000), arg("every", 60)
    runs, lease = arg("runs", 3), arg("lease", 3)
    pg_dir = tempfile.mkdtemp(prefix="ap-failover-pg-")
    os.chmod(pg_dir, 0o755)
    dsn = subprocess.run([os.path.join(HERE, "pg_local.sh"), "start", pg_dir],
                         check=True, capture_output=True,
                         text=True).stdout.strip()
    print("PostgreSQL: %s" % dsn)
    try:
        for run in range(runs):
            subprocess.run([os.path.join(build, "bench/node_bench"),
                            "--store=postgres", "--postgres_dsn=" + dsn,
                            "--workflows=%d" % n, "--every=%d" % every,
                            "--populate_only"], check=True,
                           capture_output=True)
            work = tempfile.mkdtemp(prefix="ap-failover-")
            procs = []
            for i in range(2):
                port = free_port()
                log = os.path.join(work, "agg-%d.log" % i)
                procs.append((subprocess.Popen(
                    [os.path.join(build, "aggregator/aggregator"),
                     "--store=postgres", "--postgres-dsn=" + dsn,
                     "--grpc-listen=127.0.0.1:%d" % port,
                     "--advertise-address=127.0.0.1:%d" % port,
                     "--http-listen=", "--repl-socket=",
                     "--leader-lease=%ds" % lease],
                    stdout=subprocess.DEVNULL, stderr=open(log, "w")), log))
            deadline = time.time() + 120
            leader = None
            while time.time() < deadline and leader is None:
                for i, (p, log) in enumerate(procs):
                    if leading(log) is not None:
                        leader = i
                time.sleep(0.05)
            if leader is None:
                raise RuntimeError("no aggregator leads; see " + work)
            standby = procs[1 - leader]
            leader = procs[leader]
            epoch = leading(leader[1])
            # Firing: a row of its epoch.
            while time.time() < deadline and psql(
                    dsn, "SELECT count(*) FROM ap_executions WHERE "
                    "written_epoch = %d" % epoch) == "0":
                time.sleep(0.1)
            killed = float(psql(dsn, "SELECT extract(epoch from "
                                     "clock_timestamp())"))
            leader[0].send_signal(signal.SIGKILL)
            leader[0].wait()
            while time.time() < deadline and leading(standby[1]) is None:
                time.sleep(0.02)
            new_epoch = leading(standby[1])
            first = ""
            while time.time() < deadline and not first:
                first = psql(dsn, "SELECT extract(epoch from min(written_at)) "
                                  "FROM ap_executions WHERE written_epoch = "
                                  "%d" % new_epoch)
                time.sleep(0.05)
            elected = psql(dsn, "SELECT extract(epoch from since) FROM "
                                "ap_leader_terms WHERE epoch = %d" % new_epoch)
            with open(standby[1]) as f:
                took = re.findall(r"workflows_loaded count=(\d+) .*took_ms=(\d+)",
                                  f.read())
            print("run %d: %d workflows, lease %d s: SIGKILL -> elected "
                  "%.2f s, -> first fire recorded %.2f s (loading %s "
                  "workflows took %s ms)" % (
                      run + 1, n, lease, float(elected) - killed,
                      float(first) - killed, took[-1][0], took[-1][1]))
            sys.stdout.flush()
            standby[0].send_signal(signal.SIGTERM)
            standby[0].wait(timeout=60)
    finally:
        subprocess.run([os.path.join(HERE, "pg_local.sh"), "stop", pg_dir])


if __name__ == "__main__":
    main()
