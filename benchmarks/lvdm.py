"""LVDM benchmark: first-frame fidelity, heartbeat in the generated videos, in-domain FVD16, speed and memory.

Trains a VAE and a LVDM at a profile on a phantom dataset (or loads --vae / --lvdm), animates the first latent
frame of every TEST video, then measures
- first-frame fidelity: PSNR (dB) between the decoded first generated frame and the decoded conditioning frame;
- motion: the dominant period of the mean intensity inside the blood pools (dark in the conditioning frame),
  as a heart rate, for --frames lengths; the same estimator on the real TEST videos against the phantom's true
  rates checks the estimator itself. Before decoding, the same from the latents (`latent_heart_rate`: along the
  latents' first principal component, no VAE in the way; for a phased model, also against the rate it was
  asked for), and how far the latents move from frame to frame against the real video of the
  conditioning frame (1: as smoothly as the real heart; far above 1: flicker or leftover noise), and how far they
  have wandered from the first frame by the last quarter of the video against the real heart's mean distance
  from its first frame (near 1: the heart keeps coming back; growing with length: drift);
- in-domain FVD16 (I3D of the evaluation stage) of generated clips (offset 0) against real TEST clips;
- seconds per video and peak memory at each length (CUDA max allocated, or the process's peak RSS, reset per length).
Run: .venv/bin/python benchmarks/lvdm.py --profile small   -> benchmarks/results/lvdm.json (or lvdm-<profile>.json)"""
import argparse, json, os, platform, resource, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from cardiac_nb.core import atomic_write, load_config, cli_config, seed_everything, default_device, CardiacError
from cardiac_nb.data import read_filelist, read_video, write_video
from cardiac_nb.phantom import phantom_dataset
from cardiac_nb.vae import train_vae, load_vae, encode_dataset, decode_latents, to_uint8, LatentFrames, psnr
from cardiac_nb.diffusion import sample_seeds, SamplingSpec
from cardiac_nb.heartbeat import latent_heart_rate, draw_heart_rates, pixel_heart_rate
from cardiac_nb.lvdm import train_lvdm, load_lvdm, sample_lvdm

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--profile', default='small'); p.add_argument('--epochs', type=int)
p.add_argument('--vae_profile', help='VAE profile to train (default: small on a GPU, smoke on CPU)')
p.add_argument('--work', default='runs/bench-lvdm'); p.add_argument('--vae'); p.add_argument('--lvdm')
p.add_argument('--frames', default='64,192'); p.add_argument('--num_steps', type=int, default=32)
p.add_argument('--videos', type=int, default=8, help='TEST videos to animate per length')
p.add_argument('--batch_size', type=int, default=8); p.add_argument('--device'); p.add_argument('--out')
p.add_argument('--save_videos', help='also write the generated videos here as <frames>/<video>.mp4')
p.add_argument('--fvd_from', help='a --save_videos folder made elsewhere: only add its FVD16 to the --out JSON')
p.add_argument('--set', help='LVDM configuration overrides, comma-separated key=value (e.g. train.frames=32)')
a = p.parse_args()
root, dev = Path(__file__).resolve().parent.parent, default_device(a.device)
profile = lambda name: None if name == 'paper' else name
work = Path(a.work)
ds = phantom_dataset(work / 'phantom', videos_per_class=7, seed=0)
out = Path(a.out) if a.out else root / 'benchmarks/results' / ('lvdm.json' if a.profile == 'small' else f'lvdm-{a.profile}.json')
real_df = read_filelist(ds, ('Split',)); real_df = real_df[real_df.Split == 'TEST'].reset_index(drop=True)

def real_clip_features(i3d):
    "I3D features of one random 16-frame clip of every real TEST video."
    real_clips, _ = sample_clips(ds, real_df, 16, random_offset=True, seed=0)
    return features(i3d, real_clips, 8)

def fvd16(i3d, videos, real_feats) -> float: # videos: (T,H,W) uint8 each, at least 16 frames
    "The in-domain FVD of the videos' first 16 frames against the real TEST clips."
    return round(fd(features(i3d, np.stack([v[:16] for v in videos]), 8), real_feats), 1)

if a.fvd_from:  # score videos generated on a machine without the I3D weights (read back from their mp4s)
    from cardiac_nb.detectors import load_i3d, features
    from cardiac_nb.fidelity import fd, sample_clips
    result, i3d = json.loads(out.read_text()), load_i3d(device=dev)
    real_feats = real_clip_features(i3d)
    for row in result['lengths']:
        row['fvd16_in_domain'] = fvd16(i3d, [read_video(f) for f in sorted((Path(a.fvd_from) / str(row['frames'])).glob('*.mp4'))], real_feats)
    result.update(fvd_real_clips=len(real_feats), fvd_note=f'FVD16 computed on {dev} from the videos saved as mp4 ({Path(a.fvd_from).name})')
    atomic_write(out, json.dumps(result, indent=2) + '\n'); print(json.dumps(result['lengths'], indent=2)); raise SystemExit

vae_profile = a.vae_profile or ('small' if dev.type == 'cuda' else 'smoke')
vae_dir = Path(a.vae) if a.vae else work / f'vae-{vae_profile}'
if not a.vae and not (vae_dir / 'config.json').exists():
    seed_everything(0); train_vae(ds, vae_dir, load_config(root / 'configs/vae/cardiacnet.yaml', profile=profile(vae_profile)), device=str(dev), show_progress=False)
vae = load_vae(vae_dir, dev)
lat = work / f'latents-{vae_profile}'
encode_dataset(vae, ds, lat, show_progress=False)

cfg = cli_config(root / 'configs/lvdm/cardiacnet.yaml', profile(a.profile), a.epochs, a.set)
model_dir = Path(a.lvdm) if a.lvdm else work / f'lvdm-{a.profile}'
train_s = train_epochs = None
epochs_done = lambda: len(pd.read_csv(model_dir / 'history.csv')) if (model_dir / 'history.csv').is_file() else 0
if not a.lvdm:
    seed_everything(0); t0, done = time.perf_counter(), epochs_done()
    learn = train_lvdm(lat, model_dir, cfg, device=str(dev), show_progress=False)
    train_s, train_epochs = time.perf_counter() - t0, epochs_done() - done  # a resumed run trains only the epochs left
model, sched_cfg = load_lvdm(model_dir, dev)
fps = model.clip_fps; stride = round(32 / fps)  # a model trained on every second frame makes 16 fps videos

test = LatentFrames(lat, 'TEST')
n = min(a.videos, len(test.df))
cond = torch.stack([test.video(v)[0] for v in range(n)])
classes, seeds = test.df.class_id[:n].tolist(), sample_seeds(0, n)
cond_pixels = decode_latents(vae, cond)
real_lat = [test.video(v)[::stride] for v in range(n)]  # the real video of each conditioning frame, at the model's clip rate
asked = draw_heart_rates(model.heart_rates, classes, seeds) if model.phased else None  # what sampling draws by itself, recorded

def latent_motion(z) -> np.ndarray: # (T,4,h,w) latents of one video
    "How far every latent frame is from the first."
    z = torch.as_tensor(z).float().flatten(1)
    return (z - z[0]).norm(dim=1).numpy()

def latent_steps(z) -> np.ndarray: # (T,4,h,w) latents of one video
    "How far every latent frame is from the one before: small for a heart that moves smoothly, large for flicker."
    z = torch.as_tensor(z).float().flatten(1)
    return (z[1:] - z[:-1]).norm(dim=1).numpy()

def latent_drift(z, real) -> float: # (T,4,h,w) latents of a generated video and of the real video of its first frame
    "How far a video has wandered from its first frame by its last quarter, over the real video's mean distance (near 1: it keeps coming back)."
    return float(latent_motion(z)[-(len(z) // 4):].mean() / latent_motion(real).mean())

# the estimator on real TEST videos, against the phantom's true rates
manifest = pd.read_csv(work / 'phantom/CardiacNet/phantom.csv')
truth = {f'{r.class_name}_{int(r.case):03d}': r.heart_rate for r in manifest.itertuples()}  # prepare names videos <class>_<case>
real_est = []
for k, r in enumerate(real_df.itertuples()):
    v = read_video(ds / r.video_path)
    true = truth.get(r.FileName)
    real_est.append(dict(video=r.FileName, frames=len(v), estimated_bpm=round(pixel_heart_rate(v), 1),
                         latent_bpm=round(latent_heart_rate(test.video(k)), 1), true_bpm=round(float(true), 1) if true is not None else None))

try:
    from cardiac_nb.detectors import load_i3d, features
    from cardiac_nb.fidelity import fd, sample_clips
    i3d = load_i3d(device=dev)
    real_feats = real_clip_features(i3d)
except (ImportError, CardiacError) as e: i3d, fvd_note = None, f'FVD skipped: {e}'  # e.g. no I3D weights on this machine

lengths, results = [int(x) for x in a.frames.split(',')], []
for T in lengths:
    if dev.type == 'cuda': torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    else: Path('/proc/self/clear_refs').write_text('5')  # reset the peak RSS (Linux)
    t0 = time.perf_counter()
    videos = sample_lvdm(model, sched_cfg, cond, classes, seeds, SamplingSpec('ddim', a.num_steps, frames=T, batch_size=a.batch_size),
                         heart_rates=asked, progress=False)
    if dev.type == 'cuda': torch.cuda.synchronize()
    secs = (time.perf_counter() - t0) / n
    peak = torch.cuda.max_memory_allocated() / 2**20 if dev.type == 'cuda' else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pixels = [to_uint8(decode_latents(vae, z)) for z in videos]
    if a.save_videos:
        for name, v in zip(test.df.FileName, pixels): write_video(v, Path(a.save_videos) / str(T) / f'{name}.mp4')
    first = torch.stack([torch.from_numpy(v[0]).float()[None] / 127.5 - 1 for v in pixels])
    ff_psnr = psnr(first, cond_pixels).tolist()
    bpm = [pixel_heart_rate(v, fps) for v in pixels]
    lat_bpm = [latent_heart_rate(z, fps) for z in videos]
    step_ratio = [latent_steps(z).mean() / latent_steps(r).mean() for z, r in zip(videos, real_lat)]  # vs the frame's own video, same fps
    drift = [latent_drift(z, r) for z, r in zip(videos, real_lat)]
    row = dict(frames=T, videos=n, seconds_per_video=round(secs, 2), peak_memory_mb=round(peak, 1),
               first_frame_psnr_db=round(float(np.mean(ff_psnr)), 2), heart_rate_bpm=[round(b, 1) for b in bpm],
               share_in_phantom_range=round(float(np.mean([60 <= b <= 110 for b in bpm])), 3),
               latent_heart_rate_bpm=[round(b, 1) for b in lat_bpm], latent_share_in_phantom_range=round(float(np.mean([60 <= b <= 110 for b in lat_bpm])), 3),
               asked_heart_rate_bpm=None if asked is None else [round(b, 1) for b in asked],
               latent_bpm_error=None if asked is None else [round(b - r, 1) for b, r in zip(lat_bpm, asked)],
               latent_step_ratio=[round(float(x), 2) for x in step_ratio], latent_drift=[round(x, 2) for x in drift])
    if i3d is not None and T >= 16:
        row['fvd16_in_domain'] = fvd16(i3d, pixels, real_feats)
    results.append(row); print(row, flush=True)

result = dict(benchmark='lvdm', profile=a.profile, epochs=cfg.train.epochs, train_frames=cfg.train.frames, model=str(model_dir),
              model_config=dict(cfg.model), vae=str(vae_dir), vae_profile=vae_profile, device=str(dev),
              gpu=torch.cuda.get_device_name() if dev.type == 'cuda' else None, cpu_count=os.cpu_count(), machine=platform.machine(),
              torch=torch.__version__, train_epochs_this_run=train_epochs, train_seconds=round(train_s, 1) if train_s else None,
              train_clips_per_second=round(len(learn.dls.train_ds) * train_epochs / train_s, 2) if train_epochs else None, num_steps=a.num_steps, sampler='ddim', fps=fps,
              train_target='frames' if model.motion_std is None else 'motion', motion_std=model.motion_std, cond_frame=model.cond_frame,
              phased=model.phased, train_heart_rates=model.heart_rates,
              phantom_heart_rate_range_bpm=[60, 110], real_test_heart_rate=real_est,
              fvd_note=None if i3d is not None else fvd_note,
              fvd_real_clips=len(real_feats) if i3d is not None else None, lengths=results)
if a.lvdm and out.is_file():  # re-scoring a model this script trained: keep the training figures it wrote then
    before = json.loads(out.read_text())
    if before.get('model') == str(model_dir):
        result.update({k: before.get(k) for k in ('train_epochs_this_run', 'train_seconds', 'train_clips_per_second')})
atomic_write(out, json.dumps(result, indent=2) + '\n')
print(json.dumps({k: v for k, v in result.items() if k != 'real_test_heart_rate'}, indent=2))
