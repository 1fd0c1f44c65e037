"""Does a phased LVDM use the phase? Two figures that need no sampling.

- How much of a real heart's latent motion the phase can explain: per TRAIN video, the share of the latents'
  variance over time fitted by one and by two harmonics of the phase at the video's own rate (`latent_heart_rate`).
- How much the model uses it: the v-prediction loss on the VAL clips (each conditioned on its first frame, the same
  noise and noise levels for every variant) with the true phase, with the rate scaled by 0.6 and 1.5, and with the
  phase half a beat off. A model that ignores the phase scores the same on all four.
Run: .venv/bin/python benchmarks/lvdm_phase.py --latents LATENTS --lvdm MODEL [MODEL ...] --out benchmarks/results/lvdm-phase.json"""
import argparse, json, math
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F
from cardiac_nb.core import atomic_write, default_device, load_config
from cardiac_nb.diffusion import train_scheduler
from cardiac_nb.vae import LatentFrames
from cardiac_nb.heartbeat import latent_heart_rate, heartbeat_phase
from cardiac_nb.lvdm import load_lvdm, LatentClips

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--latents', required=True); p.add_argument('--lvdm', nargs='+', required=True)
p.add_argument('--reps', type=int, default=12, help='noise draws per VAL clip'); p.add_argument('--out', required=True)
p.add_argument('--device', help='cpu, cuda (default: the best available)')
a = p.parse_args()
dev = default_device(a.device)

def periodic_share(z, harmonics:int) -> float: # (T,4,h,w) latents of one video
    "The share of the latents' variance over time that `harmonics` harmonics of the phase fit (least squares)."
    z = z.double().flatten(1); t = torch.arange(len(z))
    ph = heartbeat_phase(latent_heart_rate(z), t)[0].double()  # latent_heart_rate reads any (T,...) frames
    X = torch.stack([torch.ones_like(ph)] + [f(h * ph) for h in range(1, harmonics + 1) for f in (torch.cos, torch.sin)], 1)
    r = z - X @ torch.linalg.lstsq(X, z).solution
    return 1 - float(r.pow(2).sum() / (z - z.mean(0)).pow(2).sum())

train = LatentFrames(a.latents, 'TRAIN')
shares = {train.df.FileName[v]: [round(periodic_share(train.video(v), h), 3) for h in (1, 2)] for v in range(len(train.df))}

def phase_losses(folder) -> dict:
    "VAL v-prediction loss of a phased model with the true phase and with wrong ones."
    model, _ = load_lvdm(folder, dev); cfg = load_config(Path(folder) / 'training_config.yaml')
    if not model.phased: return dict(model=str(folder), phased=False)
    s, g = train_scheduler(cfg.scheduler, 'the LVDM configuration'), torch.Generator().manual_seed(0)
    val = LatentClips(a.latents, 'VAL', cfg.train.frames, cfg.train.stride, random_start=False, motion_std=model.motion_std, phase=True)
    x0, frame, c, ph = (torch.stack(b) for b in zip(*[val[i] for i in range(len(val))]))
    variants = {'true': ph, 'rate_x0.6': 0.6 * ph, 'rate_x1.5': 1.5 * ph, 'half_beat_off': ph + math.pi}
    losses = {k: [] for k in variants}
    for _ in range(a.reps):
        noise, t = torch.randn(x0.shape, generator=g), torch.randint(0, s.config.num_train_timesteps, (len(x0),), generator=g)
        noisy, target = s.add_noise(x0, noise, t), s.get_velocity(x0, noise, t)
        with torch.no_grad():
            for k, v in variants.items():
                losses[k].append(F.mse_loss(model(*(u.to(dev) for u in (noisy, t, frame, c, v))).float().cpu(), target).item())
    history = (Path(folder) / 'history.csv').read_text().strip().splitlines()
    return dict(model=str(folder), phased=True, epochs=len(history) - 1, train_frames=cfg.train.frames, val_clips=len(val),
                val_loss={k: round(float(np.mean(v)), 4) for k, v in losses.items()})

result = dict(benchmark='lvdm_phase', latents=a.latents, periodic_share_1_2_harmonics=shares,
              periodic_share_range={h: [min(s[i] for s in shares.values()), max(s[i] for s in shares.values())] for i, h in enumerate(('1', '2'))},
              models=[phase_losses(m) for m in a.lvdm])
atomic_write(Path(a.out), json.dumps(result, indent=2) + '\n')
print(json.dumps({k: v for k, v in result.items() if k != 'periodic_share_1_2_harmonics'}, indent=2))
