"""Pipeline wall time, and the claim: cardiac-pipeline from nothing to the evaluation report, per phantom seed.

- `--profile smoke` (the default): the whole chain on 2 CPU cores, then a re-run with every stage done.
  Target (issue 7): at most 15 minutes. -> benchmarks/results/pipeline.json
- `--profile proof --seeds 0,1`: the proof run on two phantoms (the profile's `parameters.seed` set to each), each into
  its own folder. For each: the wall time and every stage's seconds (target: 5400 s), the report's claim table (each
  target with its figure and met or not), the headline figures, and the run's figures copied to nbs/images/ for the
  README and the results page (nbs/09_results.ipynb). -> benchmarks/results/pipeline-proof.json
Run: .venv/bin/python benchmarks/pipeline.py [--profile proof --seeds 0,1] [--keep DIR] [--collect] [--note TEXT]
(`--collect` runs nothing and reads the finished runs in DIR: a benchmark cut short keeps what it made. A seed run again
replaces its own record in the results file; the records of other seeds stay.)
The figures depend on what else the machine is doing: run it on a quiet machine (the load average is recorded)."""
import argparse, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import torch, yaml
from roof import matmul_gflops, cpu_name
from cardiac_nb.core import atomic_write
from cardiac_nb.pipeline import profile_file

ap = argparse.ArgumentParser()
ap.add_argument('--profile', default='smoke')
ap.add_argument('--seeds', default=None, help="comma-separated phantom seeds, each a run (default: the profile's own)")
ap.add_argument('--keep', default=None, help='run into this folder and keep it (default: a temporary folder, removed)')
ap.add_argument('--note', default=None, help='what a reader of the figures should know about this measurement')
ap.add_argument('--collect', action='store_true', help="run nothing: collect the finished runs in --keep (wall seconds: the sum of their stages' seconds)")
args = ap.parse_args()
root = Path(__file__).resolve().parent.parent
pipeline = str(Path(sys.executable).parent/'cardiac-pipeline')
work = Path(args.keep or tempfile.mkdtemp(prefix='pipeline-bench-'))
work.mkdir(parents=True, exist_ok=True)

def profile_for(seed):
    "The profile file to run: the named one, or a copy of it with `parameters.seed` set (written beside the run)."
    src = profile_file(args.profile)
    if seed is None: return str(src), work/'run'
    cfg = yaml.safe_load(src.read_text()); cfg['parameters']['seed'] = seed
    dst = work/f'{src.stem}-seed{seed}.yaml'; dst.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return str(dst), work/f'run-seed{seed}'

def headline(m:dict) -> dict:
    "The figures a reader looks for first, from a run's metrics.json."
    fid, mo, pr, down = m.get('fidelity') or {}, m.get('motion') or {}, m.get('privacy') or {}, m.get('downstream') or {}
    auc = lambda d: d and dict(auc=d['test']['auc'], ci95=d['ci95']['auc'], n_test=d['n_test'])
    return dict(vae=m.get('vae'), fid={k: fid.get(k) for k in ('FID', 'FID_real_train', 'FID_vae_reconstruction')},
                fvd16={k: fid.get(k) for k in ('FVD16', 'FVD16_real_train', 'FVD16_vae_reconstruction')}, counts=dict(frames=fid.get('FID_frames'), clips=fid.get('FVD16_clips')),
                motion={k: mo.get(k) for k in ('frames', 'n', 'range_bpm', 'share_in_range', 'real_train_share_in_range', 'share_within_10_bpm_of_asked', 'generation_check')},
                privacy=dict(planted=pr.get('planted'), kept_above_test_median=pr.get('kept_above_test_median'), n_generated=pr.get('n_generated'), n_kept=pr.get('n_kept')),
                downstream={t: {src: auc(d.get(src)) for src in ('real', 'synthetic', 'real+synthetic', 'real_on_vae_reconstruction')} for t, d in down.items()})

def run_one(seed):
    prof, out = profile_for(seed)
    load_before, t0 = os.getloadavg(), time.perf_counter()
    if not args.collect: subprocess.run([pipeline, '--profile', prof, '--out', str(out), '--quiet'], check=True)
    info, metrics = json.loads((out/'run.json').read_text()), json.loads((out/'metrics.json').read_text())
    total = sum(r['seconds'] for r in info['stages'].values()) if args.collect else time.perf_counter() - t0
    rec = dict(seed=seed, run=str(out), wall_seconds=round(total, 1), stage_seconds={s: r['seconds'] for s, r in info['stages'].items()},
               load_average_before=[round(x, 2) for x in load_before], load_average_after=[round(x, 2) for x in os.getloadavg()],
               collected=args.collect, synthetic_videos=len(open(out/'datasets/Cardiac-synthetic/FileList.csv').readlines()) - 1)
    if args.profile == 'smoke':
        t0 = time.perf_counter()
        subprocess.run([pipeline, '--profile', prof, '--out', str(out), '--quiet'], check=True, capture_output=True)
        rec['rerun_all_skipped_seconds'] = round(time.perf_counter() - t0, 1)
        return rec, metrics
    rec.update(claims=metrics['claims'], targets_met=sum(c['met'] is True for c in metrics['claims']), targets=len(metrics['claims']),
               headline=headline(metrics), figures={})
    images = root/'nbs/images'
    for name in ('mosaic.gif', 'roc.png', 'privacy_scores.png', 'loss_curves.png'):
        if (out/'figures'/name).is_file():
            dst = images/f'{args.profile}-seed{seed}-{name}'; shutil.copyfile(out/'figures'/name, dst)
            rec['figures'][name] = str(dst.relative_to(root))
    return rec, metrics

seeds = [int(s) for s in args.seeds.split(',')] if args.seeds else [None]
runs = [run_one(s) for s in seeds]
base = dict(benchmark='pipeline', profile=args.profile, command=' '.join([Path(sys.executable).name, *sys.argv]), cpu_count=os.cpu_count(),
            machine=platform.machine(), processor=cpu_name(), torch=torch.__version__,
            matmul_gflops=round(matmul_gflops(), 1), environment=json.loads((Path(runs[0][0]['run'])/'run.json').read_text())['environment'])
out_file = root/f'benchmarks/results/pipeline{"" if args.profile == "smoke" else "-" + args.profile}.json'
if args.profile == 'smoke':
    (rec, metrics), = runs
    result = dict(base, **rec, target_seconds=900, meets_target=rec['wall_seconds'] <= 900, fid=metrics['fidelity']['FID'], fvd16=metrics['fidelity']['FVD16'],
                  downstream_auc={t: {src: d[src]['test']['auc'] if d[src] else d.get(f'{src}_not_trained') for src in ('real', 'synthetic', 'real+synthetic')}
                                  for t, d in (metrics['downstream'] or {}).items()},
                  note='smoke models train for about a minute each: the figures show the chain works, not quality')
else:  # a seed run again replaces its own record; the other seeds' records already in the file stay
    done = {rec['seed'] for rec, _ in runs}
    before = json.loads(out_file.read_text()) if out_file.is_file() else dict(runs=[])
    per_run = ('command', 'processor', 'matmul_gflops', 'note')  # each run's own (records written before they were per run take the file's)
    kept = [dict(r, **{k: r.get(k, before.get(k)) for k in per_run}) for r in before['runs'] if r['seed'] not in done]
    made = [dict(rec, command=base['command'], processor=base['processor'], matmul_gflops=base['matmul_gflops'], note=args.note) for rec, _ in runs]
    result = dict(base, target_seconds=5400, runs=sorted(kept + made, key=lambda r: r['seed']))
atomic_write(out_file, json.dumps(result, indent=2) + '\n')
print(json.dumps({k: v for k, v in result.items() if k != 'runs'}, indent=2))
for rec in result.get('runs', []):
    print(f"seed {rec['seed']}: {rec['wall_seconds']:.0f} s, {rec['targets_met']} of {rec['targets']} targets met")
    for c in rec['claims']: print(f"  {'met' if c['met'] else 'NOT MET' if c['met'] is False else 'not measured':<12} {c['section']:<10} {c['claim']}: {c['value']} (target {c['target']})")
if not args.keep: shutil.rmtree(work)
