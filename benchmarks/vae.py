"""VAE benchmark: reconstruction quality on the phantom's TEST split, and encoding speed.

Trains a VAE at a profile on a phantom dataset (or loads --model), then measures
- PSNR and SSIM of VAE reconstructions of every TEST frame (target at the `small` profile: PSNR >= 30 dB);
- encode throughput (frames/s) and peak memory at --batch_size, against a one-frame-at-a-time loop in the same run.
Run: .venv/bin/python benchmarks/vae.py --profile small   -> benchmarks/results/vae.json (or vae-<profile>.json)"""
import argparse, json, os, platform, resource, time
from pathlib import Path
import numpy as np, torch
from cardiac_nb.core import atomic_write, cli_config, seed_everything, default_device
from cardiac_nb.data import VideoFrames, read_filelist, read_video
from cardiac_nb.phantom import phantom_dataset
from cardiac_nb.vae import train_vae, load_vae, encode_frames, decode_latents, encode_video, psnr, ssim

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--profile', default='small'); p.add_argument('--epochs', type=int)
p.add_argument('--work', default='runs/bench-vae'); p.add_argument('--model', help='an existing VAE folder (skips training)')
p.add_argument('--batch_size', type=int, default=64); p.add_argument('--device'); p.add_argument('--out')
p.add_argument('--set', help='configuration overrides, comma-separated key=value (e.g. train.lr=5e-4)')
a = p.parse_args()
root = Path(__file__).resolve().parent.parent
dev = default_device(a.device)
ds = phantom_dataset(Path(a.work) / 'phantom', videos_per_class=7, seed=0)
cfg = cli_config(root / 'configs/vae/cardiacnet.yaml', None if a.profile == 'paper' else a.profile, a.epochs, a.set)  # paper: the top level
model_dir = Path(a.model) if a.model else Path(a.work) / f'vae-{a.profile}'
train_s = None
if not a.model:
    seed_everything(0); t0 = time.perf_counter()
    train_vae(ds, model_dir, cfg, device=str(dev), show_progress=False)
    train_s = time.perf_counter() - t0
vae = load_vae(model_dir, dev)

test = VideoFrames(ds, 'TEST')
ps, ss = [], []
with torch.inference_mode():
    for i in range(0, len(test), 64):
        x = torch.stack([test[j][0] for j in range(i, min(i + 64, len(test)))])
        r = decode_latents(vae, encode_frames(vae, x))
        ps.append(psnr(x, r)); ss.append(ssim(x, r))
ps, ss = torch.cat(ps), torch.cat(ss)

df = read_filelist(ds, ('Split',))
videos = [read_video(ds / v) for v in df[df.Split == 'TEST'].video_path]
frames = sum(len(v) for v in videos)
def timed(bs):
    if dev.type == 'cuda': torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for v in videos: encode_video(vae, v, bs)
    if dev.type == 'cuda': torch.cuda.synchronize()
    return frames / (time.perf_counter() - t0)
encode_video(vae, videos[0][:8], 8)  # warm-up
one_fps = timed(1)
batched_fps = timed(a.batch_size)
peak = torch.cuda.max_memory_allocated() / 2**20 if dev.type == 'cuda' else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

result = dict(benchmark='vae', profile=a.profile, epochs=cfg.train.epochs, model=str(model_dir),
              model_config=dict(cfg.model), device=str(dev), cpu_count=os.cpu_count(), machine=platform.machine(),
              torch=torch.__version__, train_seconds=round(train_s, 1) if train_s else None,
              test_frames=len(test), psnr_db_mean=round(ps.mean().item(), 2), psnr_db_median=round(ps.median().item(), 2),
              ssim_mean=round(ss.mean().item(), 4), psnr_target_db=30.0, meets_psnr_target=ps.mean().item() >= 30.0,
              encode_batch_size=a.batch_size, encode_fps_batched=round(batched_fps, 1), encode_fps_one_frame=round(one_fps, 1),
              encode_speedup=round(batched_fps / one_fps, 2),
              peak_memory_mb=round(peak, 1), peak_memory_kind='cuda max allocated' if dev.type == 'cuda' else 'process max RSS')
out = Path(a.out) if a.out else root / 'benchmarks/results' / ('vae.json' if a.profile == 'small' else f'vae-{a.profile}.json')
atomic_write(out, json.dumps(result, indent=2) + '\n')
print(json.dumps(result, indent=2))
