"""Pipeline wall time: cardiac-pipeline --profile smoke from nothing to the evaluation report, then a re-run (all skipped).

Target (issue 7): the smoke profile runs the whole pipeline on 2 CPU cores in at most 15 minutes.
Run: .venv/bin/python benchmarks/pipeline.py [--profile smoke] [--keep DIR]   -> benchmarks/results/pipeline.json
The figure depends on what else the machine is doing: run it on a quiet machine (the load average is recorded)."""
import argparse, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import torch
from cardiac_nb.core import atomic_write

ap = argparse.ArgumentParser()
ap.add_argument('--profile', default='smoke')
ap.add_argument('--keep', default=None, help='run into this folder and keep it (default: a temporary folder, removed)')
args = ap.parse_args()
pipeline = str(Path(sys.executable).parent/'cardiac-pipeline')
out = Path(args.keep or tempfile.mkdtemp(prefix='pipeline-bench-'))/'run'
load_before = os.getloadavg()
t0 = time.perf_counter()
subprocess.run([pipeline, '--profile', args.profile, '--out', str(out), '--quiet'], check=True)
total = time.perf_counter() - t0
t0 = time.perf_counter()
subprocess.run([pipeline, '--profile', args.profile, '--out', str(out), '--quiet'], check=True, capture_output=True)
rerun = time.perf_counter() - t0
info = json.loads((out/'run.json').read_text())
metrics = json.loads((out/'metrics.json').read_text())
result = dict(benchmark='pipeline', profile=args.profile, cpu_count=os.cpu_count(), machine=platform.machine(), torch=torch.__version__,
              environment=info['environment'], load_average_before=[round(x, 2) for x in load_before],
              load_average_after=[round(x, 2) for x in os.getloadavg()],
              wall_seconds=round(total, 1), target_seconds=900 if args.profile == 'smoke' else None,
              meets_target=total <= 900 if args.profile == 'smoke' else None,
              stage_seconds={s: r['seconds'] for s, r in info['stages'].items()}, rerun_all_skipped_seconds=round(rerun, 1),
              synthetic_videos=len(open(out/'datasets/Cardiac-synthetic/FileList.csv').readlines()) - 1,
              fid=metrics['fidelity']['FID'], fvd16=metrics['fidelity']['FVD16'],
              downstream_auc={t: {src: d[src]['test']['auc'] if d[src] else d.get('synthetic_not_trained') for src in ('real', 'synthetic')} for t, d in (metrics['downstream'] or {}).items()},
              note='smoke models train for about a minute each: the figures show the chain works, not quality')
atomic_write(Path(__file__).parent/f'results/pipeline{"" if args.profile == "smoke" else "-" + args.profile}.json', json.dumps(result, indent=2) + '\n')
print(json.dumps(result, indent=2))
if not args.keep: shutil.rmtree(out.parent)
