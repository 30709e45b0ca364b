#!/usr/bin/env bash
# WebSocket conformance: Autobahn|Testsuite's fuzzing client against the gateway's conformance
# echo (`gatewayd serve --conformance-echo`, which exists only for this), cases 1-10 and, for
# permessage-deflate, 12 and 13. Every case must end OK, NON-STRICT or INFORMATIONAL.
#
#   scripts/autobahn.sh [path/to/gatewayd] [--full]
#
# Without --full it runs a CI-sized selection (every case of 1-7 and 10, sections 9, 12 and 13
# sampled); --full runs all of 1-10, 12 and 13 (about a quarter of an hour here). The report
# lands in .build-autobahn/report (index.json, HTML per case); the summary is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/gatewayd}
full=${2:-}
work=.build-autobahn
python2=${PYENV_ROOT:-$HOME/.pyenv}/versions/2.7.18/bin/python

# Autobahn|Testsuite still runs on Python 2.7 only (see TOOLING.md); its own pins, in a
# virtualenv of the project's ignored build folder.
if [ ! -x "$work/venv/bin/wstest" ]; then
    mkdir -p "$work"
    "$python2" -m pip install -q "virtualenv<20.16" 2>&1 | grep -v DEPRECATION || true
    "$python2" -m virtualenv -q "$work/venv"
    "$work/venv/bin/pip" install -q setuptools==44.0.0 txaio==2.1.0 incremental==16.10.1 pyOpenSSL==19.1.0 cryptography==3.3.2 \
        Twisted==19.10.0 zope.interface==4.6.0 jinja2==2.11.3 markupsafe==1.1.1 Werkzeug==1.0.1 klein==17.10.0 \
        service_identity==18.1.0 unittest2==1.1.0 six==1.16.0 "autobahn[accelerate,twisted]==0.10.9" autobahntestsuite==25.10.1 \
        2>&1 | grep -v DEPRECATION || true
fi

. scripts/gateway-process.sh
start_gateway "$binary" "$work/gatewayd.log" --conformance-echo --personas "$work/no-personas" --log-level warning

if [ "$full" = "--full" ]; then
    cases='["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "8.*", "9.*", "10.*", "12.*", "13.*"]'
else
    cases='["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.1.*", "9.2.*", "9.7.*", "9.8.*", "10.*",
            "12.1.*", "12.2.1", "12.2.5", "12.2.10", "12.3.1", "12.4.1", "12.5.1", "13.1.*", "13.2.1", "13.3.1", "13.5.1", "13.7.1"]'
fi
rm -rf "$work/report"
cat > "$work/spec.json" <<SPEC
{
  "outdir": "$work/report",
  "servers": [{"agent": "gatewayd", "url": "ws://127.0.0.1:$port/v1/ws"}],
  "cases": $cases,
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
SPEC
started=$(date +%s)
"$work/venv/bin/wstest" -m fuzzingclient -s "$work/spec.json" > "$work/wstest.log" 2>&1
echo "Autobahn ran in $(( $(date +%s) - started )) s."

python3 - "$work/report/index.json" <<'SUMMARY'
import collections, json, sys
results = json.load(open(sys.argv[1]))["gatewayd"]
counts = collections.Counter()
bad = []
for case, result in sorted(results.items(), key=lambda item: [int(part) for part in item[0].split(".")]):
    counts[result["behavior"]] += 1
    if result["behavior"] not in ("OK", "NON-STRICT", "INFORMATIONAL"):
        bad.append(f"{case}: {result['behavior']} (close: {result.get('behaviorClose')})")
    elif result.get("behaviorClose") not in (None, "OK", "INFORMATIONAL", "UNIMPLEMENTED"):
        bad.append(f"{case}: close {result['behaviorClose']}")
sections = collections.Counter(case.split(".")[0] for case in results)
print(f"{len(results)} cases, by section: " + ", ".join(f"{s}: {n}" for s, n in sorted(sections.items(), key=lambda kv: int(kv[0]))))
print("behaviors: " + ", ".join(f"{behavior} {count}" for behavior, count in sorted(counts.items())))
if bad:
    print("FAILED:\n  " + "\n  ".join(bad))
    sys.exit(1)
SUMMARY
