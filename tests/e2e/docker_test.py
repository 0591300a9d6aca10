#!/usr/bin/python3
"""docker/ without a Docker engine: compose.yaml validates with
docker-compose, has the structure operations rely on, and everything it and
the Dockerfiles reference exists: flags in the binaries, config keys (the
mounted files pass --validate), COPY sources in the repository, binaries in
the build, and a runtime package for every shared library the binaries
load directly.

usage: docker_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402

# In debian:bookworm-slim already (essential packages).
BASE = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def direct_packages(binary):
    """Debian packages of the libraries `binary` names as NEEDED."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        run(["readelf", "-d", binary]).stdout)
    cache = run(["ldconfig", "-p"]).stdout
    packages = set()
    for lib in needed:
        m = re.search(r"^\s*%s \(.*\) => (\S+)$" % re.escape(lib), cache, re.M)
        if not m:
            packages.add("?" + lib)
            continue
        path = os.path.realpath(m.group(1))
        for candidate in (path, path.replace("/usr/lib/", "/lib/", 1)):
            owner = run(["dpkg", "-S", candidate])
            if owner.returncode == 0:
                packages.add(owner.stdout.split(":")[0])
                break
        else:
            packages.add("?" + lib)
    return packages


def dockerfile(src, name):
    text = open(os.path.join(src, "docker", name)).read()
    return text.replace("\\\n", " ")


def runtime_packages(text):
    final = text.split("FROM debian:bookworm-slim", 1)[1]
    m = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", final)
    return set(m.group(1).split())


def main():
    build, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    check = ap_e2e.Checks()
    docker = os.path.join(src, "docker")
    env = dict(os.environ, AP_OPERATOR_TOKEN="apo_test")
    cfg = run(["docker-compose", "-f", os.path.join(docker, "compose.yaml"),
               "config"], env=env, cwd=docker)
    check("docker-compose config accepts compose.yaml", cfg.returncode == 0,
          cfg.stderr)

    compose = yaml.safe_load(open(os.path.join(docker, "compose.yaml")))
    services = compose.get("services", {})
    agg, op = services.get("aggregator", {}), services.get("operator", {})
    check("services aggregator and operator", agg and op, str(services))
    check("container names", agg.get("container_name") == "aggregator-base"
          and op.get("container_name") == "operator-base")
    check("gRPC 2206 and HTTP 8080 published",
          {"2206:2206", "8080:8080"} <= set(agg.get("ports", [])))
    check("restart unless-stopped", agg.get("restart") == "unless-stopped"
          and op.get("restart") == "unless-stopped")
    hc = agg.get("healthcheck", {}).get("test", [])
    check("the aggregator's healthcheck is apctl health",
          hc[:2] == ["CMD", "apctl"] and hc[-1] == "health", str(hc))
    check("the operator waits for a healthy aggregator",
          op.get("depends_on", {}).get("aggregator", {}).get("condition")
          == "service_healthy")
    volumes = compose.get("volumes", {})
    data = [v for v in agg.get("volumes", []) if v.endswith(":/var/lib/ap")]
    check("a named volume holds the aggregator's data",
          data and data[0].split(":")[0] in volumes, str(agg.get("volumes")))

    binaries = {"aggregator": os.path.join(build, "aggregator/aggregator"),
                "operator": os.path.join(build, "operator/operator"),
                "apctl": os.path.join(build, "cli/apctl")}
    helps = {name: run([path, "--help"]).stdout + run([path, "--help"]).stderr
             for name, path in binaries.items()}
    def knows(binary, flag):
        """Whether BINARY's --help lists FLAG (spelled with dashes)."""
        flag = "--" + flag[2:].replace("_", "-")
        return re.search(r"^\s+" + re.escape(flag) + r"(=VALUE)?$",
                         helps[binary], re.M) is not None

    for flag in [a.split("=")[0] for a in hc if a.startswith("--")]:
        check("apctl knows " + flag, knows("apctl", flag))

    for service, name in (("aggregator", "aggregator.yaml"),
                          ("operator", "operator.yaml")):
        mounts = [v for v in services[service].get("volumes", [])
                  if v.startswith("./")]
        for m in mounts:
            check("mounted %s exists" % m.split(":")[0],
                  os.path.isfile(os.path.join(docker, m.split(":")[0])))
        v = run([binaries[service],
                 "--config=" + os.path.join(docker, name), "--validate"],
                env=env)
        check("%s passes %s --validate" % (name, service), v.returncode == 0,
              v.stdout + v.stderr)
        for key in services[service].get("environment", {}):
            flag = "--" + key[len("AP_"):].lower()
            check("%s reads %s" % (service, key),
                  knows(service, flag) or key == "AP_OPERATOR_TOKEN"
                  and knows(service, "--token"))

    for name, binary_names in (("aggregator.Dockerfile", ("aggregator", "apctl")),
                               ("operator.Dockerfile", ("operator", "apctl"))):
        text = dockerfile(src, name)
        for source in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
            check("%s: COPY %s exists" % (name, source),
                  os.path.exists(os.path.join(src, source)))
        for path in re.findall(r"COPY --from=build /build/(\S+)", text):
            check("%s: the build makes %s" % (name, path),
                  os.path.isfile(os.path.join(build, path)))
        entry = re.search(r'ENTRYPOINT \["(\w+)", "(--[a-z_-]+)=', text)
        check("%s: the entrypoint's flag exists" % name,
              entry and knows(entry.group(1), entry.group(2)))
        have = runtime_packages(text)
        cache = open(os.path.join(build, "CMakeCache.txt")).read()
        if re.search(r"^AP_SANITIZE:STRING=\S", cache, re.M):
            print("skip: %s's libraries (this build is sanitized; the images "
                  "build without)" % name)
            binary_names = ()
        for b in binary_names:
            missing = direct_packages(binaries[b]) - have - BASE
            check("%s installs what %s loads" % (name, b), not missing,
                  "missing: %s" % sorted(missing))
        check("%s runs as a non-root user" % name,
              re.search(r"^USER (?!root)\S+", text, re.M) is not None)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
