#!/usr/bin/env bash
# Runs every test of the workspace, with the real parts some tests drive: Chromium (the HTML
# report is loaded in a real browser), PostgreSQL (the fleet history) and compliance-trestle
# (the OSCAL output is validated). Missing ones are
# installed from Debian's packages first; with KUBEPCI_REQUIRE_REAL_PARTS=1 a test that cannot
# find its real part fails instead of skipping, so nothing is silently left out.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# OpenSSL verifies evidence-bundle signatures as a third party would (crates/cli/tests/evidence_cli.rs).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ((${#missing[@]})); then
  echo "scripts/test.sh: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# compliance-trestle validates the OSCAL output (crates/cli/tests/oscal_cli.rs); pinned, from PyPI.
if ! command -v trestle >/dev/null 2>&1; then
  echo "scripts/test.sh: installing compliance-trestle 5.2.0" >&2
  python3 -m pip install -q "compliance-trestle==5.2.0"
  # pip puts the command in the interpreter's scripts directory, which a version manager's
  # shims (pyenv) may not cover until they are rehashed.
  PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
  export PATH
  hash -r
fi

export KUBEPCI_REQUIRE_REAL_PARTS=1
exec cargo test --workspace "$@"
