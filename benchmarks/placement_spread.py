"""Do the synthetic hearts sit at the real hearts' range of placements?

A classifier trained on synthetic videos learned the classes but carried them over to real videos only once its
training clips were shifted, zoomed and rotated at random (`benchmarks/downstream_seeds.py`, the `-no-placement` and
`-placement-only` results). This measures why: on each video's first frame (112x112, read as the evaluation reads it), where the image's
brightness sits and how far it spreads, by the intensity-weighted centroid (x to the right, y downwards, away from
the probe) and standard deviation in pixels; then, per class, how much these vary from video to video in real
TRAIN and in the synthetic set. A generator that draws the hearts at fewer placements than the patients have shows
a smaller spread.

    python benchmarks/placement_spread.py --runs runs/proof-bench/run-seed0,runs/proof-bench/run-seed1   # -> placement-spread-proof.json
"""
import argparse, json, platform
from pathlib import Path
import numpy as np, pandas as pd
from cardiac_nb.core import RunPaths
from cardiac_nb.fidelity import dataset_videos, video_frames

def first_frame_placement(dataset, rows:pd.DataFrame) -> pd.DataFrame:
    "Per video: the first frame's intensity-weighted centroid (cx, cy) and spread (sx, sy), in pixels."
    out = []
    for r in rows.itertuples():
        a = video_frames(str(dataset), r.FileName, r.video_path)[0].astype(float)
        a /= a.sum(); y, x = np.mgrid[:a.shape[0], :a.shape[1]]
        cx, cy = (a * x).sum(), (a * y).sum()
        out.append(dict(class_name=r.class_name, cx=cx, cy=cy, sx=np.sqrt((a * (x - cx) ** 2).sum()), sy=np.sqrt((a * (y - cy) ** 2).sum())))
    return pd.DataFrame(out)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--runs', default='runs/proof-bench/run-seed0,runs/proof-bench/run-seed1', help='finished proof run folders, comma-separated')
    a = p.parse_args()
    res = dict(benchmark='placement_spread', command=f'python benchmarks/placement_spread.py --runs {a.runs}', machine=platform.machine(),
               measure='per class, the standard deviation over videos of the first frame\'s intensity centroid (cx, cy) and spread (sx, sy), pixels of 112',
               runs={})
    for run in a.runs.split(','):
        paths = RunPaths(run)
        sets = {'real TRAIN': (paths.dataset(), 'TRAIN'), 'synthetic': (paths.dataset('Cardiac-synthetic'), None)}
        res['runs'][run] = {}
        for name, (ds, split) in sets.items():
            rows = dataset_videos(ds, split)
            sd = first_frame_placement(ds, rows).groupby('class_name').std().round(3)
            res['runs'][run][name] = {c: sd.loc[c].to_dict() for c in sd.index}
            print(run, name); print(sd.to_string())
    dest = Path('benchmarks/results/placement-spread-proof.json')
    dest.write_text(json.dumps(res, indent=1)); print(dest)

if __name__ == '__main__': main()
