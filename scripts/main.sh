#!/usr/bin/env bash
# The main job: set up .venv, then run the smoke pipeline on the echo phantom into runs/smoke.
# Until the model stages land, the pipeline is the data stage: phantom -> prepare -> split -> reference -> frames.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
OUT=${1:-runs/smoke}
mkdir -p "$OUT"
cardiac-phantom --output "$OUT/CardiacNet" --videos_per_class 8 --seed 0
cardiac-prepare --folder_path "$OUT/CardiacNet" --output_format mp4 --fps 32 --resize 112,112 --output "$OUT/datasets/CardiacNet"
cardiac-split --csv_path "$OUT/datasets/CardiacNet/FileList.csv"
cardiac-reference --dataset "$OUT/datasets/CardiacNet" --output "$OUT/data/reference/cardiacnet" --frames 16
cardiac-frames --video_folder "$OUT/datasets/CardiacNet/Videos" --output_folder "$OUT/datasets/CardiacNet/jpg"
echo "cardiac_nb: smoke run done: $OUT (preview: $OUT/datasets/CardiacNet/preview.png)"
