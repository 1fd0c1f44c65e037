#!/usr/bin/env bash
# Every test: set up .venv, check that package and README match the notebooks, check the docs site, run the notebooks, run pytest.
# The stage notebooks 01..07 run once, as the pipeline they form: tests/test_pipeline.py runs cardiac-pipeline --profile smoke
# (each notebook executes with its checks on the run the stages before it made); nbdev_test runs the others.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== notebooks and package in sync (nbdev_export, nbdev_clean, nbdev_sidebar, README) =="
nbdev_export
nbdev_clean
nbdev_sidebar   # nbs/sidebar.yml: every notebook, in stage (file name) order
python scripts/readme.py
if git rev-parse --git-dir >/dev/null 2>&1; then
  # what the export, the clean or the README step changed, or added, beyond what is committed or staged
  drift=$( (git diff --name-only -- cardiac_nb nbs README.md; git ls-files --others --exclude-standard -- cardiac_nb nbs) | sort -u)
  if [ -n "$drift" ]; then
    echo "Out of sync: nbdev_export/nbdev_clean/nbdev_sidebar/scripts/readme.py changed these files; run scripts/test.sh and commit them:"
    echo "$drift"; git --no-pager diff --stat -- cardiac_nb nbs README.md; exit 1
  fi
fi
echo "== docs: nbdev_proc_nbs, show_doc for every export, preview + links + screenshots (scripts/check_docs.py) =="
python scripts/check_docs.py
echo "== nbdev_test (core, phantom, pipeline, index; flags notest slow gpu skipped; stages 01..07 run in tests/test_pipeline.py) =="
nbdev_test --n_workers 2 --timing --skip_file_re '^([_.]|0[1-7]_)'
echo "== pytest tests/ =="
python -m pytest tests/ -q
