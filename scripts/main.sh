#!/usr/bin/env bash
# The main job: set up .venv, then run the smoke pipeline on the echo phantom into runs/smoke.
# Until the pipeline command lands, the chain is: phantom -> prepare -> split -> reference -> frames -> VAE -> latents -> LIDM samples
# -> privacy filter -> LVDM -> Cardiac-synthetic (a handful of short videos: it shows the chain works, not quality)
# -> evaluation report ($OUT/report.md, metrics.json).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
OUT=${1:-runs/smoke}
mkdir -p "$OUT"
cardiac-phantom --output "$OUT/CardiacNet" --videos_per_class 8 --seed 0
cardiac-prepare --folder_path "$OUT/CardiacNet" --output_format mp4 --fps 32 --resize 112,112 --output "$OUT/datasets/CardiacNet"
cardiac-split --csv_path "$OUT/datasets/CardiacNet/FileList.csv"
cardiac-reference --dataset "$OUT/datasets/CardiacNet" --output "$OUT/data/reference/cardiacnet" --frames 16
cardiac-frames --video_folder "$OUT/datasets/CardiacNet/Videos" --output_folder "$OUT/datasets/CardiacNet/jpg"
cardiac-vae-train --config configs/vae/cardiacnet.yaml --profile smoke --dataset "$OUT/datasets/CardiacNet" --output "$OUT/models/vae"
cardiac-encode --model "$OUT/models/vae" --input "$OUT/datasets/CardiacNet" --output "$OUT/data/latents/cardiacnet" --gray_scale
cardiac-lidm-train --config configs/lidm/cardiacnet.yaml --profile smoke --data "$OUT/data/latents/cardiacnet" --output "$OUT/models/lidm_cardiacnet"
cardiac-lidm-sample --config configs/lidm/cardiacnet.yaml --unet "$OUT/models/lidm_cardiacnet" --vae "$OUT/models/vae" \
  --output "$OUT/samples/lidm_cardiacnet" --num_samples 64 --batch_size 64 --num_steps 50 --save_latent \
  --sampling_mode diffusion --conditioning_type class_id --class_ids 4 --condition_guidance_scale 5.0 --seed 0
cardiac-privacy-train --config configs/privacy/cardiacnet.yaml --profile smoke --data "$OUT/data/latents/cardiacnet" \
  --output "$OUT/models/reidentification_cardiacnet"
cardiac-privacy-apply --model "$OUT/models/reidentification_cardiacnet" --synthetic "$OUT/samples/lidm_cardiacnet/latents" \
  --reference "$OUT/data/latents/cardiacnet" --output "$OUT/samples/lidm_cardiacnet/privacy_compliant_latents"
cardiac-lvdm-train --config configs/lvdm/cardiacnet.yaml --profile smoke --data "$OUT/data/latents/cardiacnet" --output "$OUT/models/lvdm_cardiacnet"
cardiac-synthetic --lidm "$OUT/models/lidm_cardiacnet" --lvdm "$OUT/models/lvdm_cardiacnet" --vae "$OUT/models/vae" \
  --reidentification "$OUT/models/reidentification_cardiacnet" --reference "$OUT/data/latents/cardiacnet" \
  --output "$OUT/datasets/Cardiac-synthetic" --num_videos 8 --oversample 2.0 --top_up --split 4,2,2 --frames 16 --num_steps 4 \
  --ddim --seed 0
# downstream classifiers need every class in each split of the synthetic set, which 8 smoke videos do not guarantee yet
cardiac-evaluate --real "$OUT/datasets/CardiacNet" --synthetic "$OUT/datasets/Cardiac-synthetic" --output "$OUT" --profile smoke \
  --sections fidelity,privacy \
  --real_reference "$OUT/data/reference/cardiacnet" --vae "$OUT/models/vae" --privacy_audit "$OUT/samples/cardiac_synthetic/lidm/privacy_audit.csv" \
  --reid "$OUT/models/reidentification_cardiacnet" --latents "$OUT/data/latents/cardiacnet"
echo "cardiac_nb: smoke run done: $OUT (report: $OUT/report.md; previews: $OUT/datasets/CardiacNet/preview.png, $OUT/datasets/Cardiac-synthetic/preview.png)"
