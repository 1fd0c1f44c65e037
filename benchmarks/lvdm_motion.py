"""Does the proof LVDM's motion follow the heart rate it is asked for, and does longer training help?

Trains the LVDM with the `proof` profile (or `--epochs`) on a proof run's latents, animates the first frame of every
real TEST video (its class, a heart rate drawn as generation draws it), writes the 64-frame videos at 32 fps as mp4
and reads their heart rate from the pixels exactly as the evaluation's motion audit does (`pixel_heart_rate`), beside
the rate read from the generated latents and the rate asked for. Failures are sorted into too slow (< range: the
motion drifts instead of returning to the image) and too fast (> range: a harmonic of the beat). A model folder that
holds a finished training run is reused (its training is not repeated); `--phase_scale` sets the phase guidance.

    python benchmarks/lvdm_motion.py --run runs/motion-exp --epochs 5 --phase_scale 1   # -> lvdm-motion-proof-e5.json
    python benchmarks/lvdm_motion.py --run runs/motion-exp --epochs 5                   # the profile's s_p 3 -> lvdm-motion-proof-e5-p3.json
"""
import argparse, json, platform, time
from pathlib import Path
import numpy as np, torch
from cardiac_nb.core import load_config, seed_everything
from cardiac_nb.data import read_video
from cardiac_nb.vae import LatentFrames
from cardiac_nb.diffusion import sample_seeds, SamplingSpec
from cardiac_nb.heartbeat import draw_heart_rates, pixel_heart_rate, latent_heart_rate
from cardiac_nb.lvdm import train_lvdm, LVDMPipeline, Conditioning, generate_videos
from roof import matmul_gflops

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', default='runs/motion-exp', help='a proof run folder with data/latents/cardiacnet and models/vae')
    p.add_argument('--epochs', type=int, default=None, help="LVDM epochs (default: the proof profile's)")
    p.add_argument('--steps', type=int, default=12, help='sampling steps per window (the proof generates with 12)')
    p.add_argument('--phase_scale', type=float, default=None, help="phase guidance s_p (default: the proof profile's sample.phase_guidance_scale)")
    p.add_argument('--range_bpm', type=float, nargs=2, default=[60, 110], help="the phantom's heart-rate range")
    a = p.parse_args()
    torch.set_num_threads(2); run = Path(a.run); lat = run/'data/latents/cardiacnet'
    cfg = load_config('configs/lvdm/cardiacnet.yaml', profile='proof')
    if a.epochs: cfg.train.epochs = a.epochs
    model_dir = run/f'models/lvdm-e{cfg.train.epochs}'
    seed_everything(0); t0 = time.time()
    train_lvdm(lat, model_dir, cfg, show_progress=False); train_s = time.time() - t0
    pipe = LVDMPipeline.from_folders(model_dir, run/'models/vae', 'cpu'); model = pipe.unet
    if a.phase_scale is not None: model.phase_scale = a.phase_scale
    tag = f'e{cfg.train.epochs}' + (f'-p{model.phase_scale:g}' if model.phase_scale != 1 else '')
    test = LatentFrames(lat, 'TEST')
    names = [f'{n}-{tag}' for n in test.df.FileName]; classes = [int(c) for c in test.df.class_id]
    frames = torch.stack([test.video(v)[0] for v in range(len(test.df))]); seeds = sample_seeds(0, len(names))
    rates = draw_heart_rates(model.heart_rates, classes, seeds)
    out = run/f'samples/motion-{tag}'; t0 = time.time()
    generate_videos(pipe, Conditioning(names, frames, classes, seeds, rates), out, SamplingSpec('ddim', a.steps, frames=64, fps=32),
                    save_as=('mp4',), save_latent=True, progress=False)
    sample_s = time.time() - t0
    from safetensors.torch import load_file
    px = np.array([pixel_heart_rate(read_video(out/'mp4'/f'{n}.mp4')[:64]) for n in names])
    zl = np.array([latent_heart_rate(load_file(str(out/'latents'/f'{n}.safetensors'))['latents']) for n in names])
    lo, hi = a.range_bpm; asked = np.array(rates)
    res = dict(benchmark='lvdm_motion', profile='proof', run=str(run), epochs=cfg.train.epochs,
               phase_guidance_scale=model.phase_scale,
               command=f'python benchmarks/lvdm_motion.py --run {a.run} --epochs {cfg.train.epochs} --phase_scale {model.phase_scale:g}',
               machine=platform.machine(), cpu_count=torch.get_num_threads(), torch=torch.__version__, matmul_gflops=round(matmul_gflops(), 1),
               train_seconds=round(train_s, 1), sample_seconds=round(sample_s, 1), videos=len(names), range_bpm=[lo, hi],  # training: of this call (near 0 for a model folder trained before)
               share_in_range=float(np.mean((px >= lo) & (px <= hi))), share_within_10_bpm_of_asked=float(np.mean(np.abs(px - asked) <= 10)),
               latent_share_in_range=float(np.mean((zl >= lo) & (zl <= hi))), latent_share_within_10_bpm=float(np.mean(np.abs(zl - asked) <= 10)),
               too_slow=int((px < lo).sum()), too_fast=int((px > hi).sum()),
               final_loss=None, heart_rate_bpm=px.round(1).tolist(), latent_heart_rate_bpm=zl.round(1).tolist(), asked_bpm=asked.round(1).tolist())
    hist = model_dir/'history.csv'
    if hist.is_file():
        import pandas as pd
        h = pd.read_csv(hist); res['final_loss'] = float(h.iloc[-1]['train_loss']); res['losses'] = h['train_loss'].round(4).tolist()
    dest = Path('benchmarks/results')/f'lvdm-motion-proof-{tag}.json'
    dest.write_text(json.dumps(res, indent=1)); print(dest, {k: res[k] for k in ('share_in_range', 'share_within_10_bpm_of_asked', 'latent_share_in_range', 'too_slow', 'too_fast', 'train_seconds')})

if __name__ == '__main__': main()
