"""How much of a proof run's usefulness rows is the classifier's seed?

The report trains each downstream classifier once (one seed), on real TRAIN, the synthetic set, or both, and tests it
on the 30 real TEST videos of a task. This trains the same classifiers (the evaluation's `fit_task`, the run's
configuration) with classifier seeds 0..N-1 on a finished proof run's datasets, and writes each ROC AUC, so a reader
can see how far the rows move with nothing changed but the seed. The run's own seed (its phantom seed, which the
evaluation trains with) is among them when N exceeds it: without `--set` it must give the report's figures.

    python benchmarks/downstream_seeds.py --run runs/proof-bench/run-seed1 --seeds 5   # -> downstream-seeds-proof-seed1.json

`--set` changes the classifier's configuration (the evaluation's overrides, e.g. `classifier.augment=null`) and
`--tag` names the results file after the change; `--sources` trains only some of the training sources.

    python benchmarks/downstream_seeds.py --run runs/proof-bench/run-seed1 --sources synthetic \
        --set classifier.augment.shift=0,classifier.augment.scale=0,classifier.augment.rotate=0 --tag no-placement
"""
import argparse, json, platform, sys, tempfile, time
from pathlib import Path
import numpy as np, torch
from cardiac_nb.core import load_config, RunPaths
from cardiac_nb.downstream import fit_task, TASKS, SOURCES, TrainRun   # SOURCES: training source -> the datasets it pools ('real', 'synthetic')
from roof import matmul_gflops, cpu_name

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', default='runs/proof-bench/run-seed1', help='a finished proof run folder')
    p.add_argument('--seeds', type=int, default=5, help='classifier seeds 0..N-1')
    p.add_argument('--set', default='', help='comma-separated overrides of the evaluation configuration, e.g. classifier.augment=null')
    p.add_argument('--sources', default=','.join(SOURCES), help='training sources to train (comma-separated)')
    p.add_argument('--tag', default='', help='a suffix for the results file, naming the change --set makes')
    a = p.parse_args()
    torch.set_num_threads(2); run = Path(a.run)
    metrics = json.loads((run/'metrics.json').read_text())
    sets = [o for o in a.set.split(',') if o]
    cfg = load_config('configs/evaluate/cardiacnet.yaml', sets, profile=metrics['profile']).classifier
    sources = {k: SOURCES[k] for k in a.sources.split(',')}
    paths = {'real': RunPaths(run).dataset(), 'synthetic': RunPaths(run).dataset('Cardiac-synthetic')}; real = paths['real']
    res = dict(benchmark='downstream_seeds', run=str(run), phantom_seed=metrics['seed'], command='python benchmarks/downstream_seeds.py ' + ' '.join(sys.argv[1:]), overrides=sets,
               machine=platform.machine(), processor=cpu_name(), cpu_count=torch.get_num_threads(), torch=torch.__version__,
               matmul_gflops=round(matmul_gflops(), 1), classifier=dict(cfg), classifier_seeds=list(range(a.seeds)), auc={}, report_auc={})
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for task in TASKS:
            for src, names in sources.items():
                aucs = []
                for seed in range(a.seeds):
                    r, _ = fit_task([paths[n] for n in names], real, task, cfg, Path(tmp)/f'{task}_{src}_{seed}', TrainRun(seed=seed, bootstrap=0))
                    aucs.append(round(r['test']['auc'], 4))
                key = f'{task} {src}'
                res['auc'][key], res['report_auc'][key] = aucs, round(metrics['downstream'][task][src]['test']['auc'], 4)
                print(f"{key}: {aucs} (report {res['report_auc'][key]}); mean {np.mean(aucs):.3f}, range {min(aucs):.3f}-{max(aucs):.3f}", flush=True)
    res['seconds'] = round(time.time() - t0, 1)
    dest = Path('benchmarks/results')/f"downstream-seeds-proof-seed{metrics['seed']}{'-' + a.tag if a.tag else ''}.json"
    dest.write_text(json.dumps(res, indent=1)); print(dest)

if __name__ == '__main__': main()
