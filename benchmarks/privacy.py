"""Privacy benchmark: re-identification quality, planted copies, and the cost of filtering at the paper's scale.

- ROC AUC of the re-identification model on held-out (TEST) patients (target >= 0.95 at the `small` profile);
- planted copies of TRAIN latents (exact; + Gaussian noise of 5% and 10% of the latent std; shifted by one latent
  pixel; intensity x1.1) mixed with genuinely new latents (frames of TEST patients): share dropped per kind
  (target 100%) and share of new ones kept, under both thresholds (first frame, the original's; all frames);
- time to compare 2,000 synthetic latents with 700 videos x 64 frames (random latents through the real model,
  in batches; never all pairs in memory).
Run: .venv/bin/python benchmarks/privacy.py --profile smoke   -> benchmarks/results/privacy[-<profile>].json"""
import argparse, json, os, platform, resource, time
from pathlib import Path
import numpy as np, torch
from cardiac_nb.core import atomic_write, load_config, seed_everything, default_device
from cardiac_nb.phantom import phantom_dataset
from cardiac_nb.vae import train_vae, load_vae, encode_dataset, LatentFrames
from cardiac_nb.privacy import train_reid, load_reid, reference_embeddings, best_matches, embed, plant_copies

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--profile', default='smoke'); p.add_argument('--work', default='runs/bench-privacy')
p.add_argument('--device'); p.add_argument('--out')
a = p.parse_args()
root, dev, work = Path(__file__).resolve().parent.parent, default_device(a.device), Path(a.work)
ds = phantom_dataset(work / 'phantom', videos_per_class=7, seed=0)
vae_dir, lat = work / 'vae', work / 'latents'
if not (vae_dir / 'config.json').exists():
    seed_everything(0); train_vae(ds, vae_dir, load_config(root / 'configs/vae/cardiacnet.yaml', profile='smoke'), show_progress=False)
encode_dataset(load_vae(vae_dir, dev), ds, lat, show_progress=False)
cfg = load_config(root / 'configs/privacy/cardiacnet.yaml', profile=a.profile)
model_dir = work / f'reid-{a.profile}'
seed_everything(0); t0 = time.perf_counter()
train_reid(lat, model_dir, cfg, resume=False, device=str(dev), show_progress=False, vae=vae_dir)
train_s = time.perf_counter() - t0
model, info = load_reid(model_dir, dev)

train, test = LatentFrames(lat, 'TRAIN'), LatentFrames(lat, 'TEST')
std = torch.cat([train.video(v) for v in range(len(train.df))]).std().item()
planted = lambda noise: plant_copies(lat, 'TRAIN', noise=noise * std, seed=0)[0]  # the evaluation's planted copies, at two noise levels
five, ten = planted(0.05), planted(0.10)
kinds = {'exact copy': five['exact copy'], 'noise 5% std': five['copy + noise'], 'noise 10% std': ten['copy + noise'],
         'shift 1 latent px': five['copy, shifted'], 'intensity x1.1': five['copy, brighter']}
ref, owner, _ = reference_embeddings(model, lat)
scores = {k: best_matches(model, z, ref, owner, progress=False)[0] for k, z in kinds.items()}
new = torch.cat([test.video(v)[::8] for v in range(len(test.df))])
new_scores = best_matches(model, new, ref, owner, progress=False)[0]
rules = {'first_frame': info['threshold_first_frame'], 'all_frames': info['threshold_all_frames']}
dropped = {rule: {k: float((s >= th).float().mean()) for k, s in scores.items()} for rule, th in rules.items()}
new_kept = {rule: round(float((new_scores < th).float().mean()), 4) for rule, th in rules.items()}

# scale: 2,000 synthetic latents against 700 videos x 64 frames
syn, refs = torch.randn(2000, 4, 14, 14), torch.randn(700 * 64, 4, 14, 14)
t0 = time.perf_counter()
ref_e = embed(model, refs); owner_e = torch.arange(700).repeat_interleave(64)
embed_s = time.perf_counter() - t0
t0 = time.perf_counter()
best_matches(model, syn, ref_e, owner_e, batch_size=256, progress=False)
match_s = time.perf_counter() - t0

result = dict(benchmark='privacy', profile=a.profile, model_config=dict(cfg.model), device=str(dev), cpu_count=os.cpu_count(),
              machine=platform.machine(), torch=torch.__version__, train_seconds=round(train_s, 1),
              threshold=round(info['threshold'], 4), threshold_all_frames=round(info['threshold_all_frames'], 4),
              test_auc=round(info['test_auc'], 4), auc_target=0.95, train_videos=len(train.df), test_videos=len(test.df),
              threshold_in_force=info['reference_frames'], planted_dropped_share=dropped, planted_per_kind=len(five['exact copy']),
              new_latents=len(new), new_kept_share=new_kept,
              scale=dict(synthetic=2000, reference_videos=700, frames_per_video=64, embed_reference_seconds=round(embed_s, 2),
                         compare_seconds=round(match_s, 2), peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)))
out = Path(a.out) if a.out else root / 'benchmarks/results' / ('privacy.json' if a.profile == 'small' else f'privacy-{a.profile}.json')
atomic_write(out, json.dumps(result, indent=2) + '\n')
print(json.dumps(result, indent=2))
