#!/usr/bin/env bash
# Runs every test of DeepSeek Portal. Installs what the tests need (Debian's Chromium for the browser tests).
# Usage: bash tests/test.sh [extra dotnet test arguments, e.g. --filter ...]
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium for the browser tests, and a CJK font so screenshots of Chinese pages show characters, not boxes.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} (Debian packages) for the browser tests..."
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# axe-core (pinned in package-lock.json) is injected into pages by the accessibility checks; node_modules is git-ignored.
if [ ! -f tests/DeepSeek.Portal.BrowserTests/node_modules/axe-core/axe.min.js ]; then
  echo "Installing axe-core for the browser tests..."
  (cd tests/DeepSeek.Portal.BrowserTests && npm ci --no-audit --no-fund >/dev/null)
fi
export PORTAL_CHROMIUM="${PORTAL_CHROMIUM:-$(command -v chromium)}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build DeepSeek.Portal.sln -c Release -nologo -clp:ErrorsOnly

# One project at a time: the engine and browser tests both want the 2 cores.
projects=(
  tests/DeepSeek.Portal.Feeding.Tests
  tests/DeepSeek.Portal.Evaluation.Tests
  tests/DeepSeek.Portal.Planning.Tests
  tests/DeepSeek.Portal.Engine.Tests
  tests/DeepSeek.Portal.Tests
  tests/DeepSeek.Portal.BrowserTests
)
passed=0; failed=0; status=0
log=$(mktemp)
for p in "${projects[@]}"; do
  echo "=== $p"
  set +e
  dotnet test "$p" -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" -ne 0 ] && status=$rc
  # "Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12"
  p_count=$(grep -oE 'Passed: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  f_count=$(grep -oE 'Failed: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  passed=$((passed + ${p_count:-0})); failed=$((failed + ${f_count:-0}))
done
rm -f "$log"
echo "$passed passed, $failed failed"
exit $status
