"""VAE benchmark, part two: how much PSNR a 4x14x14 latent can carry on the phantom, whatever the VAE.

A latent of 4x14x14 holds 784 numbers for a 112x112 frame (16x fewer). Three references on the TEST frames of the
phantom that benchmarks/vae.py measures (7 patients per class, seed 0), each a reconstruction from 784 numbers or
from something no codec could have:
- bilinear: the frame shrunk to 28x28 (784 numbers) by area averaging and enlarged again (a linear code);
- DCT best-k: the frame's k largest 2D DCT coefficients (k = 784, 1568, 3136), their positions given for free, so
  better than any code that must also spend bits on where its coefficients are;
- the phantom's own noise: each video rendered twice from the same patient and generator state, with and without
  its per-frame electronic noise (Rayleigh, independent in every pixel and frame: no model can predict it), then
  ingested as `prepare` does (per-video normalisation, 32 fps, 112x112 letterboxed; no mp4 compression); their PSNR
  bounds every reconstruction of the noisy frame.
Run: .venv/bin/python benchmarks/vae_ceiling.py   -> benchmarks/results/vae-ceiling.json"""
import argparse, copy, json, platform
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F
from cardiac_nb.core import atomic_write, CLASSES
from cardiac_nb.data import VideoFrames, PrepareOptions, normalize_intensity, resample_fps, resize_frames
from cardiac_nb.phantom import phantom_dataset, draw_patient, render_patient, _patient_seed
from cardiac_nb.vae import psnr, dct_best

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--work', default='runs/bench-vae'); p.add_argument('--noise_patients', type=int, default=3, help='patients per class for the noise floor')
p.add_argument('--out')
a = p.parse_args()
root = Path(__file__).resolve().parent.parent
ds = phantom_dataset(Path(a.work) / 'phantom', videos_per_class=7, seed=0)
test = VideoFrames(ds, 'TEST')
x = torch.stack([test[j][0] for j in range(len(test))])  # (N,1,112,112) in [-1, 1]
mean_psnr = lambda r: round(psnr(x, r.clamp(-1, 1)).mean().item(), 2)

bilinear = F.interpolate(F.interpolate(x, size=(28, 28), mode='area'), size=(112, 112), mode='bilinear', align_corners=False)
def noise_floor(class_name, index):
    "PSNR (dB) of one patient's video rendered with and without the per-frame noise, both ingested as `prepare` does."
    rng = np.random.default_rng(_patient_seed(0, class_name, index)); pat = draw_patient(rng, class_name)
    state = copy.deepcopy(rng.bit_generator.state)
    noisy, _ = render_patient(pat, rng)
    rng.bit_generator.state = state  # the same speckle and anatomy; only the noise term differs
    clean, _ = render_patient({**pat, 'noise': 0.0}, rng)
    opt = PrepareOptions()
    ingest = lambda v: resize_frames(resample_fps(normalize_intensity(v, opt.normalize), pat['fps'], opt.fps), opt.size, opt.keep_aspect)
    to112 = lambda v: torch.from_numpy(ingest(v).clip(0, 255).round())[:, None] / 127.5 - 1
    return psnr(to112(noisy), to112(clean)).mean().item()
floors = [noise_floor(c, i) for c in CLASSES for i in range(a.noise_patients)]

result = dict(benchmark='vae_ceiling', test_frames=len(x), latent_numbers=4 * 14 * 14, machine=platform.machine(), torch=torch.__version__,
              psnr_db=dict(bilinear_28x28=mean_psnr(bilinear), **{f'dct_best_{k}': mean_psnr(dct_best(x, k)) for k in (784, 1568, 3136)}),
              noise_floor_db=dict(mean=round(float(np.mean(floors)), 2), min=round(float(np.min(floors)), 2), max=round(float(np.max(floors)), 2),
                                  patients=len(floors)),
              psnr_target_db=30.0)
out = Path(a.out) if a.out else root / 'benchmarks/results/vae-ceiling.json'
atomic_write(out, json.dumps(result, indent=2) + '\n')
print(json.dumps(result, indent=2))
