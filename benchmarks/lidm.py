"""LIDM benchmark, part one: training throughput and sampler cost.

Measures, for a profile's model on the phantom's latents:
- training throughput in samples per second (steady state: one warm-up epoch, then timed epochs), on the device;
- seconds to draw --num_samples latents with the ancestral sampler at 256 steps and with DPM-Solver++ at 25 and 50.
Class consistency and FID against the sampling steps are part two: benchmarks/lidm_quality.py (-> lidm.json).
Run: .venv/bin/python benchmarks/lidm.py --profile smoke   -> benchmarks/results/lidm-<profile>.json"""
import argparse, json, os, platform, time
from pathlib import Path
import torch
from cardiac_nb.core import atomic_write, load_config, seed_everything, default_device
from cardiac_nb.phantom import phantom_dataset
from cardiac_nb.vae import train_vae, load_vae, encode_dataset
from cardiac_nb.diffusion import fit_and_save, class_plan, sample_seeds, SamplingSpec
from cardiac_nb.lidm import lidm_learner, load_lidm, sample_lidm

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--profile', default='smoke'); p.add_argument('--work', default='runs/bench-lidm')
p.add_argument('--epochs', type=int, default=3); p.add_argument('--num_samples', type=int, default=64)
p.add_argument('--device'); p.add_argument('--out')
a = p.parse_args()
root, dev = Path(__file__).resolve().parent.parent, default_device(a.device)
work = Path(a.work)
ds = phantom_dataset(work / 'phantom', videos_per_class=7, seed=0)
vae_dir, lat = work / 'vae', work / 'latents'
if not (vae_dir / 'config.json').exists():
    seed_everything(0); train_vae(ds, vae_dir, load_config(root / 'configs/vae/cardiacnet.yaml', profile='smoke'), show_progress=False)
encode_dataset(load_vae(vae_dir, dev), ds, lat, show_progress=False)

cfg = load_config(root / 'configs/lidm/cardiacnet.yaml', [f'train.epochs={a.epochs}'], a.profile)
model_dir = work / f'lidm-{a.profile}'
learn = lidm_learner(lat, cfg, model_dir, str(dev))
n_train = len(learn.dls.train.dataset)
epoch_times = []
class Timer:
    def __init__(self): self.t = None
timer = Timer()
from fastai.callback.core import Callback
class EpochTimer(Callback):
    def before_train(self): timer.t = time.perf_counter()
    def after_train(self): epoch_times.append(time.perf_counter() - timer.t)
learn.add_cb(EpochTimer())
seed_everything(0)
fit_and_save(learn, model_dir, cfg, resume=False, show_progress=False)
steady = epoch_times[1:] or epoch_times
throughput = n_train / (sum(steady) / len(steady))

model, sched = load_lidm(model_dir, dev)
classes, seeds = class_plan('4', a.num_samples, 0), sample_seeds(0, a.num_samples)
timings = {}
for name, sampler, steps in [('ddpm_256', 'ddpm', 256), ('dpmpp_25', 'dpmpp', 25), ('dpmpp_50', 'dpmpp', 50)]:
    t0 = time.perf_counter()
    sample_lidm(model, sched, classes, seeds, SamplingSpec(sampler, steps, 5.0, batch_size=a.num_samples), progress=False)
    timings[name] = round(time.perf_counter() - t0, 2)

result = dict(benchmark='lidm', profile=a.profile, model_config=dict(cfg.model), device=str(dev), cpu_count=os.cpu_count(),
              machine=platform.machine(), torch=torch.__version__, train_items=n_train, batch_size=cfg.train.batch_size,
              epochs=cfg.train.epochs, epoch_seconds=[round(t, 2) for t in epoch_times],
              train_samples_per_second=round(throughput, 1), sample_count=a.num_samples, guidance_scale=5.0,
              sampling_seconds=timings, not_measured=['class consistency (needs a real-frame classifier)',
                                                     'FID vs steps (needs the evaluation stage detectors)'])
out = Path(a.out) if a.out else root / 'benchmarks/results' / f'lidm-{a.profile}.json'
atomic_write(out, json.dumps(result, indent=2) + '\n')
print(json.dumps(result, indent=2))
