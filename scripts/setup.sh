#!/usr/bin/env bash
# Set up (or reuse) the project's virtual environment in .venv: pinned install of cardiac_nb and its dev tools.
# Sourced by scripts/main.sh and scripts/test.sh; safe to run again (it skips when nothing changed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
"$PY" -c 'import sys; assert sys.version_info[:2] >= (3, 11), "cardiac_nb needs Python 3.11 or newer"'
stamp=.venv/.cardiac_nb-installed
want=$(cat settings.ini constraints.txt setup.py | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "cardiac_nb: installing the pinned environment into .venv (first time: a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[dev]"
  # papermill runs notebooks through a named kernel: register the venv's own
  .venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cardiac_nb)" >/dev/null
  echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
