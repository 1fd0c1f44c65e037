"""Which LIDM guidance scale makes images that teach a classifier about real hearts?

Guidance trades variety for typicality: at a high scale every image of a class is its most typical heart, and a
classifier trained on such images meets real hearts that are less typical than anything it saw. On a finished proof
run this draws `--per_class` LIDM latents of each class at every `--scales` value (the same seeds for each, DDIM 25
steps as the proof generates), and for ASD and PAH fits a logistic regression on the synthetic latents alone and
tests it on the real TEST videos' latent frames (0, 10 and 20 of each video); beside it, the same regression on real
TRAIN first frames. The spread of the latents (the mean per-coordinate standard deviation) is compared with the
real TEST latents': a scale whose images spread as the real ones do draws neither prototypes nor noise.
An image-level proxy for the proof's video classifiers (which need the LVDM's 14 minutes per setting).

    python benchmarks/lidm_guidance.py --run runs/proof-bench/run-seed0   # -> benchmarks/results/lidm-guidance-proof.json
"""
import argparse, json, platform, time
from pathlib import Path
import numpy as np, torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from cardiac_nb.core import RunPaths
from cardiac_nb.downstream import TASKS   # task -> (class of the condition, class of its absence)
from cardiac_nb.diffusion import sample_seeds, SamplingSpec
from cardiac_nb.lidm import load_lidm, sample_lidm
from cardiac_nb.vae import LatentFrames
from roof import matmul_gflops

def real_latents(latents, split:str, frames=(0,)):
    "Flattened latent frames `frames` of every video of `split`, with their class ids."
    d, X, y = LatentFrames(latents, split), [], []
    for v in range(len(d.df)):
        z = d.video(v)
        for f in frames: X.append(z[min(f, len(z) - 1)].flatten().numpy()); y.append(int(d.df.class_id.iloc[v]))
    return np.array(X), np.array(y)

def task_auc(X, y, Xte, yte, task:str) -> float:
    "ROC AUC on the real test latents of a logistic regression fitted on (X, y) for one task."
    pos, neg = TASKS[task]; k, kt = np.isin(y, [pos, neg]), np.isin(yte, [pos, neg])
    clf = LogisticRegression(C=0.05, max_iter=3000).fit(X[k], y[k] == pos)
    return float(roc_auc_score(yte[kt] == pos, clf.predict_proba(Xte[kt])[:, 1]))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', default='runs/proof-bench/run-seed0', help='a finished proof run (models/lidm_cardiacnet, data/latents/cardiacnet)')
    p.add_argument('--scales', type=float, nargs='+', default=[1.0, 1.5, 2.0, 3.0, 5.0])
    p.add_argument('--per_class', type=int, default=30); p.add_argument('--steps', type=int, default=25)
    a = p.parse_args()
    torch.set_num_threads(2); run = RunPaths(a.run); lat = run.latents()
    model, sched = load_lidm(run.models/'lidm_cardiacnet', 'cpu')
    Xte, yte = real_latents(lat, 'TEST', (0, 10, 20)); Xtr, ytr = real_latents(lat, 'TRAIN')
    classes = [c for c in range(4) for _ in range(a.per_class)]; seeds = sample_seeds(7, len(classes))
    rows = {}
    for g in a.scales:
        t0 = time.time()
        z = sample_lidm(model, sched, classes, seeds, SamplingSpec('ddim', a.steps, g, batch_size=256), progress=False).flatten(1).numpy()
        rows[f'{g:g}'] = dict(auc={t: round(task_auc(z, np.array(classes), Xte, yte, t), 3) for t in TASKS},
                              latent_std=round(float(z.std(0).mean()), 3), sample_seconds=round(time.time() - t0, 1))
        print(g, rows[f'{g:g}'], flush=True)
    res = dict(benchmark='lidm_guidance', run=str(a.run), command=f'python benchmarks/lidm_guidance.py --run {a.run}',
               machine=platform.machine(), cpu_count=torch.get_num_threads(), torch=torch.__version__, matmul_gflops=round(matmul_gflops(), 1),
               sampler='ddim', steps=a.steps, per_class=a.per_class, test_frames=len(yte),
               real_train_auc={t: round(task_auc(Xtr, ytr, Xte, yte, t), 3) for t in TASKS},
               real_test_latent_std=round(float(Xte.std(0).mean()), 3), scales=rows)
    dest = Path('benchmarks/results/lidm-guidance-proof.json')
    dest.write_text(json.dumps(res, indent=1)); print(dest, res['real_train_auc'], res['real_test_latent_std'])

if __name__ == '__main__': main()
