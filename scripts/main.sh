#!/usr/bin/env bash
# The main job: set up .venv, then run the smoke pipeline on the echo phantom into runs/smoke (or $1):
# phantom -> processed dataset -> VAE -> LIDM -> privacy filter -> LVDM -> Cardiac-synthetic -> evaluation report.
# The stage notebooks run with papermill; the executed copies stay in the run folder. Run it again: finished stages are skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
OUT=${1:-runs/smoke}
cardiac-pipeline --profile smoke --out "$OUT"
echo "cardiac_nb: smoke run done in $OUT: report.md, metrics.json, figures/mosaic.gif, the executed notebooks 01_data.ipynb .. 07_evaluate.ipynb"
