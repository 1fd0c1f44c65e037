"""Training benchmark: where each stage's training step spends its time, and how close its model's arithmetic comes to the machine.

For every training stage (VAE, LIDM, re-identification, LVDM, downstream classifier) at a profile's sizes, on a run
folder that holds the processed dataset and its latents (the proof run's, say), this builds the stage's own fastai
`Learner` and trains `--steps` steps with `cardiac_nb.train.StepTimer`: seconds per step in data loading, batch
preparation (noise and targets), forward, backward, gradient clipping, optimiser, EMA and the rest, then one epoch
end (the checkpoint). It also counts one step's forward and backward FLOPs and sets the rate they run at against the
machine's dense fp32 matmul rate, measured here too (2048 x 2048, both cores).

Each stage runs twice: as the code trains it (`current`: torch's fused AdamW, EMA of all tensors at once, a
checkpoint at most once a minute) and as it trained before those changes (`baseline`: fastai's per-parameter
`Adam`, diffusers' per-tensor EMA loop, a checkpoint after every epoch). The share of a step spent in the model's
forward and backward is reported without and with the checkpoint cost spread over the steps between two saves.
Target: at least 70% for every stage.
Run: .venv/bin/python benchmarks/training_cpu.py --run runs/proof --profile proof   -> benchmarks/results/training-cpu.json"""
import argparse, functools, json, os, platform, sys, time
from pathlib import Path
import torch
from fastai.callback.core import Callback, CancelEpochException
from fastai.optimizer import Adam
from roof import matmul_gflops, cpu_name
from cardiac_nb.core import atomic_write, load_config, seed_everything, RunPaths
from cardiac_nb.train import StepTimer, Checkpoint
from cardiac_nb.vae import vae_learner
from cardiac_nb.lidm import lidm_learner
from cardiac_nb.privacy import reid_learner
from cardiac_nb.lvdm import lvdm_learner
from cardiac_nb.downstream import classifier_learner, task_folds, TaskClips

STAGES = ('vae', 'lidm', 'privacy', 'lvdm', 'classifier')
p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--run', default='runs/proof', help='a run folder with datasets/CardiacNet and data/latents/cardiacnet')
p.add_argument('--profile', default='proof'); p.add_argument('--steps', type=int, default=12, help='training steps timed per stage and variant')
p.add_argument('--stages', default=','.join(STAGES)); p.add_argument('--out')
a = p.parse_args()
root, run = Path(__file__).resolve().parent.parent, RunPaths(a.run)
work = run.root/'bench-training'; work.mkdir(parents=True, exist_ok=True)
cfg_of = lambda stage: load_config(root/f'configs/{stage}/cardiacnet.yaml', profile=a.profile)

def learner(stage:str):
    "The stage's own Learner at the profile's configuration, and that configuration."
    out = work/stage
    if stage == 'vae': cfg = cfg_of('vae'); return vae_learner(run.dataset(), cfg, out, 'cpu'), cfg.train
    if stage == 'lidm': cfg = cfg_of('lidm'); return lidm_learner(run.latents(), cfg, out, 'cpu'), cfg.train
    if stage == 'privacy': cfg = cfg_of('privacy'); return reid_learner(run.latents(), cfg, out, 'cpu', run.model('vae')), cfg.train
    if stage == 'lvdm': cfg = cfg_of('lvdm'); return lvdm_learner(run.latents(), cfg, out, 'cpu'), cfg.train
    c = cfg_of('evaluate').classifier
    tr, va = task_folds(run.dataset(), 'ASD', 1)[0]
    clips = lambda rows, rand: TaskClips(run.dataset(), rows, 'ASD', c.clip_frames, c.sampling_rate, c.size, rand)
    train, valid = clips(tr, True), clips(va, False)
    for i in range(len(train)): train.video(i)   # each video resized once, as all but a training run's first epoch find them
    return classifier_learner(train, valid, c, out, 'cpu'), c

class StopAfter(Callback):
    "End the epoch after `n` training steps (its end, the checkpoint, still runs)."
    order = 2000
    def __init__(self, n): self.n = n
    def after_batch(self):
        if self.training and self.iter + 1 >= self.n: raise CancelEpochException

def as_before(learn):
    "The training pieces as they were: fastai's per-parameter Adam, the EMA's per-tensor loop, a checkpoint after every epoch."
    learn.opt_func = functools.partial(Adam, wd=learn.opt_func.keywords['opt'].keywords['weight_decay'])
    ema = getattr(learn, 'ema', None)
    if ema is not None:
        from diffusers.training_utils import EMAModel
        ema.shadow = EMAModel(learn.model.parameters(), decay=ema.decay, foreach=False)
    for cb in learn.cbs:
        if isinstance(cb, Checkpoint): cb.every = 0

def measure(stage:str, variant:str) -> dict:
    seed_everything(0)
    learn, t = learner(stage)
    if variant == 'baseline': as_before(learn)
    timer = StepTimer(skip=2)
    steps = min(a.steps + 2, len(learn.dls.train))
    t0 = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): learn.fit(1, t.lr, cbs=[*timer.callbacks, StopAfter(steps)])
    s = timer.summary()
    ckpt = next((cb for cb in learn.cbs if isinstance(cb, Checkpoint)), None)
    per_epoch = len(learn.dls.train)
    between_saves = per_epoch if ckpt is None or ckpt.every == 0 else max(per_epoch, ckpt.every / s['step_seconds'])
    saves = s['epoch_end_seconds'] if ckpt is not None else 0.0
    fb = s['seconds_per_step']['forward'] + s['seconds_per_step']['backward']
    return dict(s, batch_size=learn.dls.train.bs, steps_per_epoch=per_epoch, steps_between_checkpoints=round(between_saves, 1),
                items_per_second=learn.dls.train.bs / s['step_seconds'], wall_seconds=time.perf_counter() - t0,
                forward_backward_share_with_checkpoints=fb / (s['step_seconds'] + saves / between_saves),
                forward_backward_roof_share=s['forward_backward_gflops'] / roof if s['forward_backward_gflops'] else None,
                parameters=sum(q.numel() for q in learn.model.parameters()), parameter_tensors=len(list(learn.model.parameters())))

torch.set_num_threads(os.cpu_count())
roof = matmul_gflops()
print(f'dense fp32 matmul: {roof:.1f} GFLOP/s on {torch.get_num_threads()} threads', flush=True)
result = dict(benchmark='training_cpu', profile=a.profile, run=str(run.root), command=' '.join([Path(sys.executable).name, *sys.argv]),
              machine=platform.machine(), processor=cpu_name(), cpu_count=os.cpu_count(),
              torch=torch.__version__, threads=torch.get_num_threads(), matmul_gflops=round(roof, 1), target_forward_backward_share=0.7,
              stages={})
for stage in a.stages.split(','):
    result['stages'][stage] = {}
    for variant in ('baseline', 'current'):
        m = measure(stage, variant)
        result['stages'][stage][variant] = m
        ph = ', '.join(f'{k} {1000 * v:.0f}' for k, v in m['seconds_per_step'].items())
        print(f"{stage:<10} {variant:<8} {1000 * m['step_seconds']:.0f} ms/step ({ph} ms); forward+backward {100 * m['forward_backward_share']:.0f}% "
              f"({100 * m['forward_backward_share_with_checkpoints']:.0f}% with checkpoints), {m['forward_backward_gflops'] or 0:.1f} GFLOP/s", flush=True)
    result['stages'][stage]['meets_target'] = result['stages'][stage]['current']['forward_backward_share_with_checkpoints'] >= 0.7
out = Path(a.out) if a.out else root/'benchmarks/results/training-cpu.json'
atomic_write(out, json.dumps(result, indent=2) + '\n')
print(f'written to {out}')
