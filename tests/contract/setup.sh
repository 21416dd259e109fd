#!/usr/bin/env bash
# Installs schemathesis (PyPI, the versions pinned in requirements.txt, nothing else) into
# target/contract-venv, where tests/contract.rs looks for it. Safe to run again: pinned
# versions already installed are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${CROSSINGS_CONTRACT_VENV:-target/contract-venv}"
if [ ! -x "$venv/bin/pip" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    -r tests/contract/requirements.txt
"$venv/bin/st" --version
