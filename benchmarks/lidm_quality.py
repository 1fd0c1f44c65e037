"""LIDM benchmark, part two: class consistency and FID against the number of sampling steps.

- Class consistency: a 4-class classifier (a small CNN, a fastai Learner, kept here: it is the judge, not the
  model under test) is trained on real TRAIN frames and labels LIDM samples of each conditioned class (chance: 25%);
  its accuracy on real TEST frames is the ceiling. `--judge rendered` (default): frames as the VAE renders them
  (encoded and decoded), so that it judges the LIDM and not the VAE's blur; `--judge latent`: the real latents
  themselves, the LIDM's own output space (use it when the VAE is too weak for its frames to show the class).
- In-domain FID (the evaluation stage's Inception, `default_1.pt`) of decoded samples against real TEST frames, for
  the ancestral sampler at 256 steps and DPM-Solver++ at 25 and 50 steps, with the seconds each took; the same
  classes and seeds for every sampler. The VAE floor: real TEST frames encoded and decoded, against the originals.
  Headline: the fewest steps within 5% of the 256-step FID.
Inputs: a pipeline run folder (datasets/CardiacNet, models/vae, data/latents/cardiacnet); the LIDM is trained here at
--profile for --epochs (default: the profile's; --set for other configuration keys), or --lidm names a trained one.
On a machine without the Inception weights (a GPU box with no network): `--fid no --frames_out f.npz` keeps the
decoded samples and the VAE floor frames; `--fid_from f.npz` then adds the FIDs to the --out JSON where the weights are.
Run: .venv/bin/python benchmarks/lidm_quality.py --run runs/smoke --profile smoke --epochs 30   -> benchmarks/results/lidm.json"""
import argparse, json, os, platform, time
from pathlib import Path
import numpy as np, torch, torch.nn as nn
from fastai.vision.all import Learner, DataLoaders, accuracy, CrossEntropyLossFlat
from cardiac_nb.core import atomic_write, cli_config, seed_everything, default_device, RunPaths, CLASSES
from cardiac_nb.vae import load_vae, decode_latents, LatentFrames
from cardiac_nb.diffusion import class_plan, sample_seeds, SamplingSpec
from cardiac_nb.lidm import train_lidm, load_lidm, sample_lidm
from cardiac_nb.detectors import load_inception, features
from cardiac_nb.fidelity import fd, sample_frames, dataset_videos

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--run', default='runs/smoke', help='a cardiac-pipeline run folder (its dataset, VAE and latents)')
p.add_argument('--profile', default='smoke'); p.add_argument('--epochs', type=int, default=None)
p.add_argument('--lidm', default=None, help='a trained LIDM folder (default: train one into <run>/models/lidm_bench_<profile>)')
p.add_argument('--num_samples', type=int, default=128, help='samples per sampler setting (balanced over the 4 classes)')
p.add_argument('--guidance_scale', type=float, default=5.0); p.add_argument('--classifier_epochs', type=int, default=6)
p.add_argument('--judge', choices=['rendered', 'latent'], default='rendered')
p.add_argument('--set', help='configuration overrides, comma-separated key=value (e.g. train.batch_size=256)')
p.add_argument('--fid', choices=['yes', 'no'], default='yes', help='no: skip the FIDs (no Inception weights here)')
p.add_argument('--frames_out', help='keep the decoded samples and the VAE floor frames in this .npz')
p.add_argument('--fid_from', help='a --frames_out .npz: only add its FIDs to the --out JSON')
p.add_argument('--device'); p.add_argument('--out')
a = p.parse_args()
root, dev = Path(__file__).resolve().parent.parent, default_device(a.device)
run = RunPaths(a.run)
ds, lat = run.dataset(), run.latents()
out = Path(a.out) if a.out else root/'benchmarks/results/lidm.json'

def real_test_features(inception):
    "Inception features of (up to 2048) real TEST frames, and their number."
    real_test = sample_frames(ds, dataset_videos(ds, 'TEST'), max_frames=2048)
    return features(inception, real_test, batch_size=64), len(real_test)

def fid_with(inception, real_feats):
    "f(uint8 frames) -> their FID against the real TEST features."
    return lambda frames: round(fd(features(inception, frames, batch_size=64), real_feats), 2)

def headline(rows):
    "The fewest DPM-Solver++ steps within 5% of the 256-step FID."
    within = [n for n in ('dpmpp_25', 'dpmpp_50') if rows[n]['fid'] <= 1.05 * rows['ddpm_256']['fid']]
    return (f"{rows[within[0]]['steps']} DPM-Solver++ steps stay within 5% of the 256-step FID" if within
            else 'neither 25 nor 50 DPM-Solver++ steps stay within 5% of the 256-step FID')

if a.fid_from:  # score samples made elsewhere
    result, kept = json.loads(out.read_text()), np.load(a.fid_from)
    inception = load_inception(device=dev)
    real_feats, result['real_test_frames'] = real_test_features(inception)
    fid = fid_with(inception, real_feats)
    result['fid_vae_floor'] = fid(kept['floor'])
    for name, row in result['samplers'].items(): row['fid'] = fid(kept[name])
    result['headline'], result['fid_note'] = headline(result['samplers']), f'FIDs computed on {dev} from {Path(a.fid_from).name}'
    atomic_write(out, json.dumps(result, indent=2) + '\n'); print(json.dumps(result, indent=2)); raise SystemExit
vae = load_vae(run.models/'vae', dev)

# the LIDM under test
lidm_dir = Path(a.lidm) if a.lidm else run.models/f'lidm_bench_{a.profile}'
cfg = cli_config(root/'configs/lidm/cardiacnet.yaml', a.profile, a.epochs, a.set)
train_s = None
if not (lidm_dir/'config.json').exists():
    seed_everything(0); t0 = time.perf_counter()
    train_lidm(lat, lidm_dir, cfg, device=str(dev), show_progress=False); train_s = time.perf_counter() - t0
model, sched = load_lidm(lidm_dir, dev)

def latents_of(split, step):
    "Real latent frames of a split, every `step`-th: (N,4,14,14) and class ids."
    lf = LatentFrames(lat, split, frame_step=step)
    return torch.stack([lf[i][0] for i in range(len(lf))]), torch.stack([torch.as_tensor(lf[i][1]) for i in range(len(lf))]).long()
def rendered(split, step):
    "Real latent frames of a split, every `step`-th, decoded by the VAE: (N,1,112,112) in [-1,1], class ids."
    z, y = latents_of(split, step)
    return decode_latents(vae, z.to(dev)).float().cpu(), y
judge_view = (lambda z: decode_latents(vae, z.to(dev)).float().cpu()) if a.judge == 'rendered' else (lambda z: z.float().cpu())

# the judge: a small CNN on VAE-rendered real frames
seed_everything(0)
(z_tr, y_tr), (z_te, y_te) = latents_of('TRAIN', 3), latents_of('TEST', 3)
x_tr, x_te = judge_view(z_tr), judge_view(z_te)
convs = ((1, 16, 2), (16, 32, 2), (32, 64, 2), (64, 64, 2)) if a.judge == 'rendered' else ((4, 32, 1), (32, 64, 2), (64, 64, 2))
judge = nn.Sequential(*[m for c_in, c_out, s in convs for m in (nn.Conv2d(c_in, c_out, 3, s, 1), nn.BatchNorm2d(c_out), nn.ReLU())],
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, len(CLASSES)))
dls = DataLoaders.from_dsets(list(zip(x_tr, y_tr)), list(zip(x_te, y_te)), bs=64, device=dev)
learn = Learner(dls, judge, loss_func=CrossEntropyLossFlat(), metrics=accuracy)
with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(a.classifier_epochs, 3e-3)
judge = learn.model.eval()
def judge_labels(frames):
    with torch.no_grad(): return torch.cat([judge(b.to(dev)).argmax(1).cpu() for b in frames.split(256)])
judge_test_acc = (judge_labels(x_te) == y_te).float().mean().item()

# samples at each sampler setting: the same classes and seeds
inception = load_inception(device=dev) if a.fid == 'yes' else None
real_feats, n_real = real_test_features(inception) if inception else (None, None)
fid = fid_with(inception, real_feats) if inception else (lambda frames: None)
to_u8 = lambda x: ((x[:, 0].clamp(-1, 1) + 1) * 127.5).round().byte().numpy()
floor_frames, _ = rendered('TEST', 1)
kept = {'floor': to_u8(floor_frames[np.linspace(0, len(floor_frames) - 1, min(len(floor_frames), 2048)).round().astype(int)])}
floor = fid(kept['floor'])
classes, seeds = class_plan('4', a.num_samples, 0), sample_seeds(0, a.num_samples)
rows = {}
for name, sampler, steps in [('ddpm_256', 'ddpm', 256), ('dpmpp_25', 'dpmpp', 25), ('dpmpp_50', 'dpmpp', 50)]:
    t0 = time.perf_counter()
    z = sample_lidm(model, sched, classes, seeds, SamplingSpec(sampler, steps, a.guidance_scale, batch_size=128), progress=False)
    secs = time.perf_counter() - t0
    kept[name] = to_u8(decode_latents(vae, z.to(dev)).float().cpu())
    pred, want = judge_labels(judge_view(z)), torch.tensor(classes)
    per_class = {CLASSES[c]: round((pred[want == c] == c).float().mean().item(), 3) for c in range(len(CLASSES))}
    rows[name] = dict(sampler=sampler, steps=steps, seconds=round(secs, 1), fid=fid(kept[name]),
                      class_consistency=round((pred == want).float().mean().item(), 3), class_consistency_per_class=per_class)
    print(name, rows[name], flush=True)
if a.frames_out: np.savez_compressed(a.frames_out, **kept)
result = dict(benchmark='lidm_quality', profile=a.profile, epochs=cfg.train.epochs, lidm=str(lidm_dir), model_config=dict(cfg.model),
              train_seconds=round(train_s, 1) if train_s else None, device=str(dev), cpu_count=os.cpu_count(), machine=platform.machine(),
              gpu=torch.cuda.get_device_name() if dev.type == 'cuda' else None, torch=torch.__version__, guidance_scale=a.guidance_scale, num_samples=a.num_samples,
              judge=dict(kind=f'small CNN on real {"VAE-rendered frames" if a.judge == "rendered" else "latents"}', train_frames=len(x_tr), test_frames=len(x_te),
                         epochs=a.classifier_epochs, real_test_accuracy=round(judge_test_acc, 3)),
              real_test_frames=n_real, fid_vae_floor=floor, samplers=rows, headline=headline(rows) if inception else None,
              class_consistency_target=0.8, note='FID on a few hundred frames is noisy: compare settings, not papers')
atomic_write(out, json.dumps(result, indent=2) + '\n')
print(json.dumps(result, indent=2))
