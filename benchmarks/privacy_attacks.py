"""Privacy under attack at the proof size: every attack of nbs/04a_attacks.ipynb on a finished run, the filter before and
after it learned pixel changes, and what lowering the LIDM's membership signal costs.

- `run`: `privacy_attacks` on the run as it stands: its models, its filter and its synthetic dataset.
- `filter`: the near-copy audit of the run's filter, of a filter trained here on the same latents with the privacy
  configuration as it now stands (`train.pixel_views`: views changed in pixels among the positives), and of filters
  trained with other settings (`--filter_variants`), each beside the share of real TEST-patient frames it drops.
- `lidm`: the loss attack and PIA against the run's LIDM and against LIDMs trained here with other settings
  (`--lidm_variants`), each with its last train and held-out (VAL) losses and an in-domain FID (the evaluation's Inception)
  of its decoded samples against real TEST frames: the fidelity a lower signal costs.
Run: .venv/bin/python benchmarks/privacy_attacks.py --run runs/proof-bench/run-seed1 --profile proof --seed 1
     --filter_variants 'pixel views 16=train.pixel_views=16,train.pixel_share=0.5'
     --lidm_variants 'epochs 3=train.epochs=3;dropout 0.1=model.dropout=0.1'   -> benchmarks/results/privacy-attacks.json"""
import argparse, json, os, platform, sys, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from cardiac_nb.core import atomic_write, load_config, cli_config, seed_everything, default_device, RunPaths
from cardiac_nb.vae import load_vae, decode_latents
from cardiac_nb.diffusion import class_plan, sample_seeds, SamplingSpec
from cardiac_nb.lidm import train_lidm, load_lidm, sample_lidm
from cardiac_nb.privacy import train_reid
from cardiac_nb.attacks import AttackInputs, privacy_attacks, near_duplicate_audit, membership_attack
from cardiac_nb.detectors import load_inception, features
from cardiac_nb.fidelity import fd, sample_frames, dataset_videos

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--run', required=True, help='a finished cardiac-pipeline run folder')
p.add_argument('--profile', default='proof', help="the configurations' profile (the run's)")
p.add_argument('--seed', type=int, default=0, help="the run's seed: training seeds here")
p.add_argument('--filter_variants', default='', help="';'-separated 'name=key=value,key=value' privacy overrides to train and audit")
p.add_argument('--lidm_variants', default='', help="';'-separated 'name=key=value,key=value' LIDM overrides to train and attack")
p.add_argument('--samples', type=int, default=240, help='LIDM samples per variant for the FID (balanced over the classes)')
p.add_argument('--device'); p.add_argument('--out')
a = p.parse_args()
root, dev, run = Path(__file__).resolve().parent.parent, default_device(a.device), RunPaths(a.run)
out = Path(a.out) if a.out else root/'benchmarks/results/privacy-attacks.json'
work = run.root/'bench-attacks'; work.mkdir(exist_ok=True)
cfg = load_config(root/'configs/privacy/cardiacnet.yaml', profile=a.profile)
lat = run.latents()
result = dict(benchmark='privacy_attacks', command=' '.join(['python', *sys.argv]), run=str(run.root), profile=a.profile, seed=a.seed,
              environment=json.loads((run.root/'run.json').read_text()).get('environment'), cpu_count=os.cpu_count(), machine=platform.machine(), targets=dict(cfg.attacks.targets))

t0 = time.perf_counter()
result['run_attacks'] = privacy_attacks(AttackInputs.of_run(run.root), cfg, dev, a.seed)
result['run_attacks_seconds'] = round(time.perf_counter() - t0, 1)
print('run', json.dumps(result['run_attacks']['met']), flush=True)

# the filter: the run's, one trained here as configured now, and other settings
def variants(spec:str) -> list: return [tuple(v.split('=', 1)) for v in spec.split(';') if v]
vae = load_vae(run.model('vae'), dev)
def audit(reid): return near_duplicate_audit(reid, vae, lat, cfg, dev, a.seed)
def trained_filter(name, sets=None):
    "A filter trained here on the run's latents (once), with the configuration and `sets` overrides; its audit."
    folder, fcfg = work/f"reid-{name.replace(' ', '-')}", cli_config(root/'configs/privacy/cardiacnet.yaml', a.profile, set=sets)
    seconds = None
    if not (folder/'threshold.json').is_file():
        seed_everything(a.seed); t0 = time.perf_counter()
        train_reid(lat, folder, fcfg, device=str(dev), show_progress=False, vae=run.model('vae')); seconds = round(time.perf_counter() - t0, 1)
    return dict(audit(folder), overrides=sets.split(',') if sets else [], pixel_views=fcfg.train.get('pixel_views'),
                pixel_share=fcfg.train.get('pixel_share'), train_seconds=seconds)
as_run = load_config(run.model('reidentification')/'training_config.yaml').train
result['filter'] = {'as run': dict(audit(run.model('reidentification')), pixel_views=as_run.get('pixel_views')), 'as configured': trained_filter('configured')}
for name, sets in variants(a.filter_variants): result['filter'][name] = trained_filter(name, sets)
print('filter', {k: {n: v['dropped_share'] for n, v in r['kinds'].items()} | {'TEST': r['test_dropped_share']} for k, r in result['filter'].items()}, flush=True)

# the LIDM: membership signal and FID, as the run trained it and with other settings
inception = load_inception(device=dev)
real = features(inception, sample_frames(run.dataset(), dataset_videos(run.dataset(), 'TEST'), max_frames=512), batch_size=64)
gen = json.loads((run.synthetic/'generation.json').read_text())['settings']
spec = SamplingSpec(gen['lidm_sampler'], gen['lidm_steps'], gen['lidm_guidance_scale'], batch_size=120)
to_u8 = lambda x: ((x[:, 0].clamp(-1, 1) + 1) * 127.5).round().byte().numpy()

def lidm_row(folder, overrides):
    "A LIDM's membership signal, last losses and the FID of its samples."
    model, sched = load_lidm(folder, dev)
    z = sample_lidm(model, sched, class_plan('4', a.samples, a.seed), sample_seeds(a.seed, a.samples), spec, progress=False)
    hist = pd.read_csv(folder/'history.csv').iloc[-1]
    return dict(overrides=overrides, membership=membership_attack('lidm', folder, lat, cfg.attacks.membership, dev, a.seed),
                train_loss=round(float(hist.train_loss), 4), valid_loss=round(float(hist.valid_loss), 4),
                fid=round(fd(features(inception, to_u8(decode_latents(vae, z.to(dev)).float().cpu()), batch_size=64), real), 2))

result['lidm'] = {'as trained': lidm_row(run.model('lidm'), [])}
lidm_cfg = root/'configs/lidm/cardiacnet.yaml'
for name, sets in variants(a.lidm_variants):
    folder = work/f"lidm-{name.replace(' ', '-')}"
    if not (folder/'config.json').is_file():
        seed_everything(a.seed); train_lidm(lat, folder, cli_config(lidm_cfg, a.profile, set=sets), device=str(dev), show_progress=False)
    result['lidm'][name] = lidm_row(folder, sets.split(','))
    print(name, {k: r['auc'] for k, r in result['lidm'][name]['membership'].items()}, result['lidm'][name]['fid'], flush=True)
result['lidm_fid_note'] = f"{a.samples} samples ({spec.sampler}, {spec.num_steps} steps, guidance {spec.guidance_scale}) against {len(real)} real TEST frames: compare variants, not papers"
atomic_write(out, json.dumps(result, indent=2) + '\n')
print(out)
