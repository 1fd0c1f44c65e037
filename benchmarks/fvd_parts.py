"""Where does the synthetic videos' FVD16 come from: their look, their motion, or the frames filled in between?

On a finished proof run this scores, with the evaluation's own I3D, clip sampling (one 16-frame clip per video, real
ones at a seeded random start) and Frechet distance, several sets of clips against the real TEST clips:
- `real_train`, `vae_reconstruction`: the evaluation's two floors (they must match the run's metrics.json);
- `vae_filled`: the VAE's reconstructions of the real TEST latents at the LVDM's rate, every `factor`-th latent frame
  kept and the frames between filled in on straight lines as `generate` fills the synthetic videos: the cost of the
  filling alone, on real motion;
- `vae_still`: each reconstructed TEST clip's first frame held for 16 frames: real looks with no motion at all;
- `synthetic`: the generated videos from frame 0 (the evaluation's), and `synthetic_offset` from a seeded random
  start, as the real clips are taken; `synthetic_still`: their first frame held (the LIDM's looks, no motion);
- `synthetic_<class>`: the synthetic clips of one class against the real TEST clips of that class, beside
  `vae_reconstruction_<class>` (a class whose videos are far off shows here).
The gaps between these rows split the synthetic FVD16 into look, motion and filling.

    python benchmarks/fvd_parts.py --run runs/proof-bench/run-seed0   # -> benchmarks/results/fvd-parts-proof-seed0.json
"""
import argparse, json, platform, time
from pathlib import Path
import numpy as np, torch
from cardiac_nb.core import RunPaths, CLASSES
from cardiac_nb.detectors import load_i3d, features
from cardiac_nb.fidelity import fd, dataset_videos, sample_clips, clip_start
from cardiac_nb.lvdm import interpolate_frames
from cardiac_nb.vae import load_vae, load_latents, latent_path, decode_latents, to_uint8
from roof import matmul_gflops

CLIP = 16

def filled_clips(vae, latents, rows, factor:int, seed:int) -> np.ndarray:
    "Clips of the real videos' latents kept every `factor`-th frame and filled in between, decoded; the evaluation's clip starts."
    out = []
    for r in rows.itertuples():
        z = load_latents(latent_path(latents, r.FileName))
        s = clip_start(len(z), CLIP, seed, r.FileName)
        z = torch.cat([z, z[-1:].expand(factor, *z.shape[1:])])[s:s + CLIP + factor]  # the clip and the kept frame after it (the last held at the end)
        out.append(to_uint8(decode_latents(vae, interpolate_frames(z[::factor], factor)[:CLIP])))
    return np.stack(out)

def still(clips:np.ndarray) -> np.ndarray: return np.repeat(clips[:, :1], clips.shape[1], 1)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', default='runs/proof-bench/run-seed0', help='a finished proof run')
    p.add_argument('--factor', type=int, default=2, help="the videos' frames per LVDM frame (32 fps from a 16 fps model: 2)")
    p.add_argument('--seed', type=int, default=None, help="the clip seed (default: the run's evaluation seed)")
    p.add_argument('--max_clips', type=int, default=64, help="clips per set (the proof evaluation's)")
    a = p.parse_args()
    torch.set_num_threads(2); run = RunPaths(a.run); t0 = time.time()
    metrics = json.loads((run.root/'metrics.json').read_text())
    seed = metrics['seed'] if a.seed is None else a.seed
    real, syn, recon = run.dataset(), run.dataset('Cardiac-synthetic'), run.dataset('CardiacNet-reconstructed')
    test, train, syn_rows = dataset_videos(real, 'TEST'), dataset_videos(real, 'TRAIN'), dataset_videos(syn)
    clips = lambda ds, rows, offset: sample_clips(ds, rows, CLIP, offset, seed, a.max_clips)[0]
    sets = dict(real=clips(real, test, True), real_train=clips(real, train, True), vae_reconstruction=clips(recon, test, True),
                vae_filled=filled_clips(load_vae(run.models/'vae', 'cpu'), run.latents(), test, a.factor, seed),
                synthetic=clips(syn, syn_rows, False), synthetic_offset=clips(syn, syn_rows, True))
    sets['vae_still'], sets['synthetic_still'] = still(sets['vae_reconstruction']), still(sets['synthetic'])
    i3d = load_i3d(None, 'cpu')
    feats = {k: features(i3d, v, 4) for k, v in sets.items()}
    fvd = {k: round(fd(f, feats['real']), 1) for k, f in feats.items() if k != 'real'}
    for c, name in enumerate(CLASSES):   # per class: the synthetic and the reconstructed clips against the real TEST ones of that class
        rc, sc, vc = (clips(ds, rows[rows.class_id == c], off) for ds, rows, off in ((real, test, True), (syn, syn_rows, False), (recon, test, True)))
        fr = features(i3d, rc, 4)
        fvd[f'synthetic_{name}'] = round(fd(features(i3d, sc, 4), fr), 1)
        fvd[f'vae_reconstruction_{name}'] = round(fd(features(i3d, vc, 4), fr), 1)
    run_fvd = metrics['fidelity']
    res = dict(benchmark='fvd_parts', run=str(a.run), command=f'python benchmarks/fvd_parts.py --run {a.run}', machine=platform.machine(),
               cpu_count=torch.get_num_threads(), torch=torch.__version__, matmul_gflops=round(matmul_gflops(), 1), seed=seed,
               factor=a.factor, clips={k: len(v) for k, v in sets.items()}, fvd16=fvd,
               run_metrics=dict(FVD16=run_fvd['FVD16'], FVD16_real_train=run_fvd['FVD16_real_train'],
                                FVD16_vae_reconstruction=run_fvd['FVD16_vae_reconstruction']),
               seconds=round(time.time() - t0, 1))
    dest = Path(__file__).parent/'results'/f'fvd-parts-proof-seed{metrics["seed"]}.json'
    dest.write_text(json.dumps(res, indent=1)); print(dest); print(json.dumps(fvd, indent=1))

if __name__ == '__main__': main()
