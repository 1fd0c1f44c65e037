"""Phantom speed: write 100 phantom videos of 64 frames (25 per class, with labels, .nii.gz) and time it.

Target (issue 2): under a minute on 2 cores. Also times ingestion of the same 100 videos with cardiac-prepare's code.
Run: .venv/bin/python benchmarks/phantom.py   -> benchmarks/results/phantom.json"""
import json, os, platform, tempfile, time
from pathlib import Path
import torch
from cardiac_nb.core import atomic_write
from cardiac_nb.phantom import make_phantom
from cardiac_nb.data import prepare, PrepareOptions

workers = min(2, os.cpu_count())
with tempfile.TemporaryDirectory() as d:
    t0 = time.perf_counter()
    make_phantom(Path(d)/'CardiacNet', 25, seed=0, num_frames=64, workers=workers, show_progress=False)
    phantom_s = time.perf_counter() - t0
    size_mb = sum(p.stat().st_size for p in Path(d).rglob('*.nii.gz')) / 2**20
    t0 = time.perf_counter()
    df = prepare(Path(d)/'CardiacNet', Path(d)/'ds', PrepareOptions(), workers=workers, progress=False)
    prepare_s = time.perf_counter() - t0

result = dict(benchmark='phantom', videos=100, frames_per_video=64, workers=workers, cpu_count=os.cpu_count(),
              machine=platform.machine(), processor=platform.processor(), torch=torch.__version__,
              phantom_seconds=round(phantom_s, 2), phantom_videos_per_second=round(100 / phantom_s, 2),
              phantom_target_seconds=60, phantom_meets_target=phantom_s < 60, raw_size_mb=round(size_mb, 1),
              prepare_seconds=round(prepare_s, 2), prepared_videos=len(df), prepared_frames=int(df.NumberOfFrames.sum()))
out = Path(__file__).parent/'results/phantom.json'
atomic_write(out, json.dumps(result, indent=2) + '\n')
print(json.dumps(result, indent=2))
