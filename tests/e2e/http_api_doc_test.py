#!/usr/bin/python3
"""docs/http-api.md's curl lines, run as printed, in order, against a real
aggregator: each must answer 2xx with JSON. ID and EXECUTION_ID are filled
in from the answers (the created workflow, the triggered execution), the
address with the test's port, $AP_API_KEY with a writer's key.

usage: http_api_doc_test.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ap_e2e  # noqa: E402


def curl_lines(doc):
    out, block = [], False
    for line in doc.splitlines():
        if line.startswith("```"):
            block = line.strip() == "```sh"
            continue
        if block and line.strip():
            out.append(line.strip())
    return out


def main():
    build, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    agg = ap_e2e.Aggregator(build, work)
    check = ap_e2e.Checks()
    try:
        key = agg.secret("keys", "create", "--owner=doc", "--role=writer")
        agg.start()
        http = str(agg.http_port())
        with open(os.path.join(src, "docs/http-api.md")) as f:
            lines = curl_lines(f.read())
        check("the doc has curl lines", len(lines) > 10, lines)
        values = {}
        env = dict(os.environ, AP_API_KEY=key)
        prelude = ""
        for line in lines:
            if not line.startswith("curl"):
                prelude += line + "\n"  # H="Authorization: ..."
                continue
            cmd = line.replace("127.0.0.1:8080", "127.0.0.1:" + http)
            cmd = cmd.replace("EXECUTION_ID", values.get("execution", "none"))
            cmd = re.sub(r"\bID\b", values.get("workflow", "none"), cmd)
            cmd = cmd.replace("curl -s", "curl -s -w '\\n%{http_code}'", 1)
            r = subprocess.run(["sh", "-c", prelude + cmd], env=env,
                               capture_output=True, text=True, timeout=30)
            body, _, code = r.stdout.rpartition("\n")
            try:
                answer = json.loads(body)
            except ValueError:
                answer = None
            check(line, code.startswith("2") and answer is not None,
                  "%s %s %s" % (code, body, r.stderr))
            if answer and "/v1/workflows -" not in line:
                if line.endswith("/v1/workflows") and "id" in answer:
                    values["workflow"] = answer["id"]
                if line.endswith(":trigger") and "id" in answer:
                    values["execution"] = answer["id"]
    finally:
        ap_e2e.finish(agg, check, work)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
