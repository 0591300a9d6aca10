#!/usr/bin/python3
"""A foreign gRPC client (Python grpcio, not our code) against a real
aggregator process: health Check and Watch answer SERVING, and server
reflection lists and describes grpc.health.v1.Health.

usage: foreign_client_test.py BUILD_DIR
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import grpc
from grpc_tools import protoc


def compile_protos(out):
    """Compiles reflection.proto and health.proto from Debian's grpc-proto
    into `out` under flat names (a `grpc` package would shadow grpcio)."""
    for name, src in (("reflection", "grpc/reflection/v1alpha/reflection.proto"),
                      ("health", "grpc/health/v1/health.proto")):
        shutil.copy(os.path.join("/usr/share/grpc-proto", src),
                    os.path.join(out, name + ".proto"))
        rc = protoc.main(["protoc", "-I" + out, "--python_out=" + out,
                          "--grpc_python_out=" + out,
                          os.path.join(out, name + ".proto")])
        if rc != 0:
            sys.exit("protoc failed for " + src)
    sys.path.insert(0, out)


def start_aggregator(build, work):
    log = open(os.path.join(work, "agg.log"), "w+")
    proc = subprocess.Popen(
        [os.path.join(build, "aggregator/aggregator"),
         "--data-dir=" + os.path.join(work, "data"),
         "--grpc-listen=127.0.0.1:0", "--http-listen=127.0.0.1:0",
         "--repl-socket=" + os.path.join(work, "ap.sock")], stderr=log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log.seek(0)
        m = re.search(r"grpc_port=(\d+)", log.read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    log.seek(0)
    sys.exit("aggregator did not start: " + log.read())


def main():
    build = sys.argv[1]
    work = tempfile.mkdtemp()
    proc = None
    failures = []
    passed = 0
    try:
        compile_protos(work)
        import health_pb2, health_pb2_grpc, reflection_pb2, reflection_pb2_grpc
        from google.protobuf import descriptor_pb2

        proc, port = start_aggregator(build, work)
        channel = grpc.insecure_channel("127.0.0.1:%d" % port)

        def check(name, ok, detail=""):
            nonlocal passed
            if ok:
                passed += 1
                print("ok:", name)
            else:
                failures.append(name)
                print("FAIL:", name, detail)

        health = health_pb2_grpc.HealthStub(channel)
        resp = health.Check(health_pb2.HealthCheckRequest(), timeout=5)
        check("Health/Check says SERVING",
              resp.status == health_pb2.HealthCheckResponse.SERVING, resp)
        watch = health.Watch(health_pb2.HealthCheckRequest(), timeout=5)
        first = next(iter(watch))
        watch.cancel()
        check("Health/Watch streams SERVING",
              first.status == health_pb2.HealthCheckResponse.SERVING, first)

        refl = reflection_pb2_grpc.ServerReflectionStub(channel)

        def ask(**kw):
            req = reflection_pb2.ServerReflectionRequest(**kw)
            return next(iter(refl.ServerReflectionInfo(iter([req]), timeout=5)))

        listed = [s.name for s in ask(list_services="*")
                  .list_services_response.service]
        check("reflection lists grpc.health.v1.Health",
              "grpc.health.v1.Health" in listed, listed)
        methods = set()
        for service in listed:
            resp = ask(file_containing_symbol=service)
            names = []
            for raw in resp.file_descriptor_response.file_descriptor_proto:
                fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                for s in fd.service:
                    names.append(fd.package + "." + s.name)
                    methods.update("%s.%s/%s" % (fd.package, s.name, m.name)
                                   for m in s.method)
            check("reflection describes " + service, service in names,
                  resp.error_response)
        if len(sys.argv) > 2:
            # Every SERVICE/METHOD the docs tell people to grpcurl.
            src = sys.argv[2]
            docs = [os.path.join(src, "README.md")] + [
                os.path.join(src, "docs", f)
                for f in os.listdir(os.path.join(src, "docs"))
                if f.endswith(".md")]
            named = set()
            for path in docs:
                named.update(re.findall(
                    r"\b((?:grpc|ap)\.[\w.]+\.[A-Z]\w*/[A-Z]\w*)",
                    open(path).read()))
            check("the docs name grpcurl methods", len(named) >= 2, named)
            for m in sorted(named):
                check("reflection lists " + m + " (named in the docs)",
                      m in methods, sorted(methods))
        # grpcio keeps an idle connection open after the server's GOAWAY,
        # which would hold the drain until shutdown_grace; close it.
        channel.close()
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
