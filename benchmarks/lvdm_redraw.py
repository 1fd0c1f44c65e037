"""Is a proof LVDM video that drifts instead of beating the image's fault or the noise's?

Reads a proof run's motion check (`<run>/samples/cardiac_synthetic/lvdm/motion_check.csv`, written by generate) and
takes every video whose first draw beat more than `MOTION_TOLERANCE_BPM` off the rate it was asked for. Each is made
again from the same image, class and rate, as generate makes it (its seed, 64 frames at 32 fps from 16 fps), under
one change at a time: nothing (it must read as recorded), more sampling steps, weaker or stronger phase guidance,
and new noise (`redraw_seed` draws 1 and 2, what the motion check does). Its heart rate is read from the decoded
pixels as the evaluation's motion audit reads it. If new noise mends most of them and the other changes do not, the
drift is the noise's, and drawing again is the remedy.

    python benchmarks/lvdm_redraw.py --run runs/proof-bench/run-seed0   # -> benchmarks/results/lvdm-redraw-proof-seed0.json
"""
import argparse, json, platform, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from cardiac_nb.vae import load_vae, decode_latents, to_uint8
from cardiac_nb.diffusion import SamplingSpec
from cardiac_nb.heartbeat import pixel_heart_rate
from cardiac_nb.lvdm import load_lvdm, read_conditioning, sample_lvdm, redraw_seed, MOTION_TOLERANCE_BPM
from cardiac_nb.generate import video_seeds
from roof import matmul_gflops, cpu_name

VARIANTS = {'as generated': {}, '25 steps': dict(steps=25), 'phase guidance 3': dict(phase_scale=3.0),
            'phase guidance 8': dict(phase_scale=8.0), 'new noise (draw 1)': dict(draw=1), 'new noise (draw 2)': dict(draw=2)}

def remake(model, sched, vae, cond, classes, seeds, rates, settings, steps=None, phase_scale=None, draw=0):
    "The videos' pixel heart rates (bpm), each made as generate makes it with one setting changed."
    scale, model.phase_scale = model.phase_scale, phase_scale or model.phase_scale
    spec = SamplingSpec(settings['lvdm_sampler'], steps or settings['lvdm_steps'], frames=settings['frames'], fps=settings['fps'])  # interpolated to fps inside
    try:
        z = sample_lvdm(model, sched, cond, classes, [redraw_seed(s, draw) for s in seeds], spec, heart_rates=rates, progress=False)
    finally: model.phase_scale = scale
    return [round(pixel_heart_rate(to_uint8(decode_latents(vae, v)), settings['fps']), 1) for v in z]

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', default='runs/proof-bench/run-seed0', help='a proof run folder, generated with the motion check')
    a = p.parse_args()
    torch.set_num_threads(2); run = Path(a.run); work = run/'samples/cardiac_synthetic'
    settings = json.loads((work/'settings.json').read_text())['settings']
    check = pd.read_csv(work/'lvdm/motion_check.csv').set_index('FileName')
    off = check[(check.first_bpm - check.asked_bpm).abs() > MOTION_TOLERANCE_BPM]
    model, sched = load_lvdm(run/'models/lvdm_cardiacnet', 'cpu'); vae = load_vae(run/'models/vae', 'cpu')
    c = read_conditioning(work/'lidm/privacy_compliant_latents', 'csv'); names, cond, classes = c.names, c.frames, c.classes
    at = [names.index(n) for n in off.index]
    seeds = video_seeds(off.index.tolist(), pd.read_csv(work/'lidm/samples.csv'), settings['seed'])
    rates, lo, hi = off.asked_bpm.tolist(), 60, 110
    res = dict(benchmark='lvdm_redraw', profile='proof', run=str(run), command=f'python benchmarks/lvdm_redraw.py --run {a.run}',
               machine=platform.machine(), processor=cpu_name(), cpu_count=torch.get_num_threads(), torch=torch.__version__,
               matmul_gflops=round(matmul_gflops(), 1), videos=len(check), tolerance_bpm=MOTION_TOLERANCE_BPM, range_bpm=[lo, hi],
               first_draws_off=len(off), names=off.index.tolist(), asked_bpm=rates, recorded_first_bpm=off.first_bpm.tolist(), variants={})
    for label, change in VARIANTS.items():
        t0 = time.time()
        bpm = remake(model, sched, vae, cond[at], [classes[i] for i in at], seeds, rates, settings, **change)
        follows = np.abs(np.array(bpm) - np.array(rates)) <= MOTION_TOLERANCE_BPM
        res['variants'][label] = dict(change=change, heart_rate_bpm=bpm, follow_asked=int(follows.sum()),
                                      in_range=int(sum(lo <= b <= hi for b in bpm)), seconds=round(time.time() - t0, 1))
        print(f"{label}: {follows.sum()} of {len(off)} follow the rate asked, {res['variants'][label]['in_range']} in {lo}-{hi} bpm", flush=True)
    dest = Path('benchmarks/results')/f"lvdm-redraw-proof-seed{settings['seed']}.json"
    dest.write_text(json.dumps(res, indent=1)); print(dest)

if __name__ == '__main__': main()
