#!/usr/bin/env bash
# pip-audit over every locked requirement (runtime and dev, hashes checked). pip-audit asks the package index about
# each release's known vulnerabilities; an index that does not answer those questions (a mirror) leaves the
# packages unaudited: then this says so loudly and does not fail the build. A known vulnerability always fails it.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(.tools/bin/uv export --frozen --format requirements-txt --no-emit-project --quiet \
  | .venv/bin/pip-audit -r /dev/stdin --disable-pip --require-hashes --progress-spinner off 2>&1)
status=$?
total=$(.tools/bin/uv export --frozen --format requirements-txt --no-emit-project --quiet | grep -c '^[A-Za-z0-9]')
unaudited=$(grep -c "could not be audited" <<<"$out")
if grep -qi "known vulnerabilit" <<<"$out" && ! grep -q "No known vulnerabilities found" <<<"$out"; then
  echo "$out"
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "$out" | tail -n 20
  exit "$status"
fi
if [[ $unaudited -gt 0 ]]; then
  echo "WARNING: pip-audit could not audit ${unaudited} of ${total} locked packages (the package index answers no vulnerability queries here)"
else
  echo "pip-audit: ${total} locked packages, no known vulnerability"
fi
