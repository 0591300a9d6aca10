#!/usr/bin/python3
"""docker/ without a Docker engine (docker_compose_test.py builds and runs
it): compose.yaml validates with docker-compose, has the structure
operations rely on, and everything it and docker/Dockerfile reference
exists: flags in the binaries, config keys (the
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


def dockerfile_stages(src):
    """docker/Dockerfile's stages by name, continuation lines joined."""
    text = open(os.path.join(src, "docker", "Dockerfile")).read()
    text = text.replace("\\\n", " ")
    stages = {}
    for part in re.split(r"^(?=FROM )", text, flags=re.M)[1:]:
        name = re.match(r"FROM \S+ AS (\w+)", part).group(1)
        stages[name] = part
    return stages


def runtime_packages(stage):
    m = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", stage)
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
    check("gRPC 2206 and HTTP 8080 published (by default on 2206 and 8080)",
          {"${AP_PUBLISH_GRPC:-2206}:2206",
           "${AP_PUBLISH_HTTP:-8080}:8080"} <= set(agg.get("ports", [])))
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

    stages = dockerfile_stages(src)
    check("one build stage, and a stage per image",
          set(stages) == {"build", "aggregator", "operator"}, str(set(stages)))
    built = stages.get("build", "")
    check("the build stage compiles Release and strips",
          "-DCMAKE_BUILD_TYPE=Release" in built and "strip " in built)
    for source in re.findall(r"^COPY (?!--from)(\S+)", "".join(stages.values()),
                             re.M):
        check("Dockerfile: COPY %s exists" % source,
              os.path.exists(os.path.join(src, source)))
    for service in ("aggregator", "operator"):
        check("compose builds %s from its stage" % service,
              services[service].get("build", {}).get("target") == service and
              services[service]["build"].get("dockerfile") ==
              "docker/Dockerfile")
    for name, binary_names in (("aggregator", ("aggregator", "apctl")),
                               ("operator", ("operator", "apctl"))):
        text = stages[name]
        copied = re.findall(r"COPY --from=build (.*) \S+$", text, re.M)
        names = {os.path.basename(p) for c in copied for p in c.split()}
        check("the %s image gets %s" % (name, ", ".join(binary_names)),
              set(binary_names) <= names, str(names))
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
            check("the %s image installs what %s loads" % (name, b),
                  not missing, "missing: %s" % sorted(missing))
        check("the %s image runs as a non-root user" % name,
              re.search(r"^USER (?!root)\S+", text, re.M) is not None)
        check("the %s image's user is made without a warning" % name,
              "useradd --system" not in text)
    ignored = open(os.path.join(src, ".dockerignore")).read().split()
    for path in (".git", "build*/", "demo", "docker/.env"):
        check(".dockerignore keeps %s out of the build context" % path,
              path in ignored)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
