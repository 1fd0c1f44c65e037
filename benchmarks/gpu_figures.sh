#!/usr/bin/env bash
# The GPU figures of the VAE, LIDM and LVDM benchmarks on one GPU, in two calls of under 10 minutes each on an H100/H200
# (the step limits of each part, VAE included, add up to at most 560 s):
#   ONLY=lidm bash benchmarks/gpu_figures.sh OUT [PHANTOM]; ONLY=lvdm bash benchmarks/gpu_figures.sh OUT2 [PHANTOM]
# PHANTOM: a phantom folder (datasets/CardiacNet and CardiacNet/phantom.csv of `phantom_dataset(..., 7, seed=0)`) to
# reuse instead of drawing it again. OUT receives at most 9 files (8 from one part): log.txt, vae.json, lidm-rendered.json,
# lidm-latent.json, lidm-throughput.json, lvdm.json, lvdm-phase.json, lidm-frames.npz (the LIDM samples, for the FIDs where the
# Inception weights are: benchmarks/lidm_quality.py --fid_from) and lvdm-videos.tar (the generated videos, for FVD).
# Each step has a time limit, so a slow step costs its own figure and not the others'. Sizes can be changed through
# the environment (VAE_EPOCHS, LIDM_EPOCHS, LIDM_SAMPLES, LVDM_EPOCHS, LVDM_SET, LVDM_FRAMES, LVDM_VIDEOS, LVDM_LIMIT,
# LIMIT_SCALE), e.g. for a dry run on a CPU; ONLY=lvdm (or lidm) runs the VAE and that part alone; VAE=FOLDER uses
# that VAE instead of training one. The LVDM part trains 30 epochs of 32-frame clips (about 6 minutes on an H100), then
# writes lvdm-phase.json (how much the model uses the heart's phase).
set -uo pipefail
out=$(realpath -m "$1"); phantom=${2:-}; work=${WORK:-/tmp/gpu-figures}; py=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd); cd "$here"; export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$out" "$work"; log="$out/log.txt"
vae_epochs=${VAE_EPOCHS:-30}; lidm_epochs=${LIDM_EPOCHS:-60}; lvdm_epochs=${LVDM_EPOCHS:-30}
samples=${LIDM_SAMPLES:-128}; lengths=${LVDM_FRAMES:-64,192}; videos=${LVDM_VIDEOS:-8}
# 32-frame windows see a whole heartbeat (60-110 bpm at 32 fps is 17-32 frames); long epochs: fewer checkpoints
lvdm_set=${LVDM_SET:-train.frames=32,train.batch_size=32,train.clips_per_video=64}
scale=${LIMIT_SCALE:-1}; only=${ONLY:-lidm,lvdm}; lvdm_limit=${LVDM_LIMIT:-420}
want() { [[ ",$only," == *",$1,"* ]]; }
seed() { mkdir -p "$1"; [ -n "$phantom" ] && cp -rn "$phantom"/. "$1"/; true; }
step() { # name, time limit (s), command...
    local name=$1 limit=$(( $2 * scale )); shift 2; local t0=$SECONDS
    echo "== $name: $* (limit ${limit} s)" | tee -a "$log"
    timeout "$limit" "$@" >> "$log" 2>&1; local rc=$?
    echo "== $name: exit $rc after $((SECONDS - t0)) s" | tee -a "$log"; }
{ nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo 'no GPU'; } | tee -a "$log"
for d in bv bm bl; do seed "$work/$d/phantom"; done
mkdir -p "$work/run"; [ -n "$phantom" ] && cp -rn "$phantom/datasets" "$work/run/"

vae=${VAE:-}
if [ -z "$vae" ]; then
    step vae 90 $py benchmarks/vae.py --profile small --epochs "$vae_epochs" --work "$work/bv" --out "$out/vae.json"; vae="$work/bv/vae-small"
fi; vae=$(realpath "$vae"); vae_profile=$(basename "$vae"); vae_profile=${vae_profile#vae-}
if want lidm; then
step encode 30 $py -c "import sys; from cardiac_nb.core import RunPaths; from cardiac_nb.phantom import phantom_dataset; from cardiac_nb.vae import load_vae, encode_dataset
r = RunPaths('$work/run'); ds = phantom_dataset(r.root, 7, seed=0); encode_dataset(load_vae('$vae'), ds, r.latents(), show_progress=False)"
mkdir -p "$work/run/models" "$work/bm" && ln -sfn "$vae" "$work/run/models/vae" && ln -sfn "$vae" "$work/bm/vae"
step lidm-rendered 130 $py benchmarks/lidm_quality.py --run "$work/run" --profile small --epochs "$lidm_epochs" --judge rendered \
    --num_samples "$samples" --fid no --frames_out "$out/lidm-frames.npz" --out "$out/lidm-rendered.json"
step lidm-latent 35 $py benchmarks/lidm_quality.py --run "$work/run" --profile small --lidm "$work/run/models/lidm_bench_small" \
    --judge latent --num_samples "$samples" --fid no --out "$out/lidm-latent.json"
step lidm-throughput 45 $py benchmarks/lidm.py --profile small --epochs 3 --work "$work/bm" --out "$out/lidm-throughput.json"
fi
if want lvdm; then
step lvdm "$lvdm_limit" $py benchmarks/lvdm.py --profile small --epochs "$lvdm_epochs" --set "$lvdm_set" --vae "$vae" --vae_profile "$vae_profile" \
    --work "$work/bl" --frames "$lengths" --videos "$videos" --save_videos "$work/videos" --out "$out/lvdm.json"
step lvdm-phase 60 $py benchmarks/lvdm_phase.py --latents "$work/bl/latents-$vae_profile" --lvdm "$work/bl/lvdm-small" --out "$out/lvdm-phase.json"
fi
[ -d "$work/videos" ] && tar -C "$work" -cf "$out/lvdm-videos.tar" videos
ls -la "$out" | tee -a "$log"
