"""What TensorBoard's log costs a proof run: the seconds of one grid of each model's images (`vae_previews`,
`lidm_previews`, `lvdm_previews`) with the run's trained models, times the grids its profile draws, beside the
seconds the model trained for (history.csv); and the seconds of writing a training step's scalars.

Each model's learner is built as its stage builds it, restored from the run's checkpoint (`resume_checkpoint`), and
asked for its grid as `TensorBoardLog` asks after an epoch: with the averaged weights, at the configuration's steps.
Run: .venv/bin/python benchmarks/training_logs.py --run runs/proof-bench/run-seed1 --profile proof
     -> benchmarks/results/training-logs-proof.json"""
import argparse, json, os, platform, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd, torch
from cardiac_nb.core import atomic_write, load_config, seed_everything, RunPaths
from cardiac_nb.train import resume_checkpoint, training_record, TensorBoardLog
from cardiac_nb.vae import vae_learner, vae_previews
from cardiac_nb.lidm import lidm_learner, lidm_previews
from cardiac_nb.lvdm import lvdm_learner, lvdm_previews

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--run', required=True, help='a finished cardiac-pipeline run folder (its models keep checkpoint.pt)')
p.add_argument('--profile', default='proof', help="the configurations' profile: its log.image_every and epochs count the grids")
p.add_argument('--repeats', type=int, default=3, help='grids timed per model (the first also loads the VAE and reads the frames)')
p.add_argument('--out')
a = p.parse_args()
root, run = Path(__file__).resolve().parent.parent, RunPaths(a.run)
out = Path(a.out) if a.out else root/f'benchmarks/results/training-logs-{a.profile}.json'
torch.set_num_threads(os.cpu_count())

def cpu_name() -> str:
    info = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
    return next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('Model name')), platform.processor())

def timed(draw, learn) -> list:
    "Seconds of each of `a.repeats` grids, and the last grid's shape."
    secs = []
    for _ in range(a.repeats):
        t = time.time(); grid = draw(learn); secs.append(round(time.time() - t, 2))
    return secs, list(grid.shape)

def grids(cfg) -> int:
    "How many grids `TensorBoardLog` draws in a run of `cfg`: every `image_every` epochs, and after the last."
    n, every = cfg.train.epochs, cfg.log.image_every
    return len({e for e in range(1, n + 1) if e % every == 0} | {n})

result = dict(benchmark='training_logs', command=' '.join(['python', *sys.argv]), run=str(run.root), profile=a.profile,
              cpu=cpu_name(), cpu_count=os.cpu_count(), machine=platform.machine(), torch=torch.__version__,
              training_seconds_from="the run's history.csv: seconds on the machine that trained it (trained_on)",
              trained_on=json.loads((run.root/'run.json').read_text()).get('environment'), models={})
vae_dir, lat = run.model('vae'), run.latents()
with tempfile.TemporaryDirectory() as tmp:
    for stage, build, draw in [
            ('vae', lambda cfg, o: vae_learner(run.dataset(), cfg, o, 'cpu'), lambda cfg: vae_previews(run.dataset())),
            ('lidm', lambda cfg, o: lidm_learner(lat, cfg, o, 'cpu'), lambda cfg: lidm_previews(vae_dir, cfg)),
            ('lvdm', lambda cfg, o: lvdm_learner(lat, cfg, o, 'cpu'), lambda cfg: lvdm_previews(vae_dir, lat, cfg))]:
        folder = run.model(stage)
        cfg = load_config(root/f'configs/{stage}/cardiacnet.yaml', profile=a.profile)
        saved = load_config(folder/'training_config.yaml')   # what the run measured at training (motion_std, heart_rates)
        cfg.train.update({k: v for k, v in saved.train.items() if k in ('motion_std', 'heart_rates')})
        seed_everything(0)
        learn = build(cfg, Path(tmp)/stage)
        resume_checkpoint(learn, folder/'checkpoint.pt')
        secs, shape = timed(draw(cfg), learn)
        rec, n = training_record(folder), grids(cfg)
        result['models'][stage] = dict(grid_seconds=secs, grid_shape=shape, grids_per_run=n, image_every=cfg.log.image_every,
                                       epochs=cfg.train.epochs, training_seconds=rec['seconds'],
                                       grids_seconds_per_run=round(n * min(secs), 1), share_of_training=round(n * min(secs) / rec['seconds'], 4))
        print(stage, result['models'][stage], flush=True)
    # the scalars of one training step: the loss and the learning rate, written to an event file
    board = TensorBoardLog(Path(tmp)/'scalars'); board._setup_writer()
    t = time.time()
    for step in range(1, 2001):
        board.writer.add_scalar('train/loss', 0.5, step); board.writer.add_scalar('train/lr', 1e-3, step)
    board.writer.flush(); board.writer.close()
    result['scalar_step_ms'] = round((time.time() - t) / 2000 * 1000, 4)
print('scalars per step (ms):', result['scalar_step_ms'])
atomic_write(out, json.dumps(result, indent=2))
print(f'-> {out}')
