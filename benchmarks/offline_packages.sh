#!/usr/bin/env bash
# Pack what the benchmarks need beyond PyTorch for a GPU machine with no network (Python 3.12, torch, numpy, pandas,
# scipy, matplotlib, pyyaml, safetensors and huggingface_hub 1.x already there), from this checkout's .venv:
#   .whl/               the two compiled packages, as cp312 wheels (av, plum-dispatch)
#   .devsite/devsite.tar.xz   the pure-Python ones with their dist-info (fastai, fastcore, fastprogress and fasthtml's
#                             imports, fasttransform, beartype, nibabel, diffusers without its pipelines)
# Use there: pip install --no-index --no-deps --target /tmp/site .whl/*.whl; tar -C /tmp/devsite -xJf
# .devsite/devsite.tar.xz; PYTHONPATH=/tmp/devsite:/tmp/site. huggingface_hub stays the machine's own: a 2.x copy
# would shadow it and break the transformers/peft that diffusers imports when they are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -rf .whl .devsite; mkdir -p .whl .devsite; tmp=$(mktemp -d)
.venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 -d .whl \
    "av==$(.venv/bin/python -c 'import av; print(av.__version__)')" "plum-dispatch==$(.venv/bin/pip show plum-dispatch | sed -n 's/^Version: //p')"
for pkg in beartype diffusers fastai fastcore fastdownload fastprogress fasttransform fasthtml httpcore2 httpx2 \
           itsdangerous nibabel multipart python_multipart starlette truststore; do
    cp -r "$site/$pkg" "$tmp/"
done
for dist in beartype diffusers fastai fastcore fastdownload fastprogress fasttransform python_fasthtml httpcore2 httpx2 \
            itsdangerous nibabel python_multipart starlette truststore; do
    cp -r "$site/$dist"-*.dist-info "$tmp/"
done
find "$tmp" -name __pycache__ -prune -exec rm -rf {} +
find "$tmp/diffusers/pipelines" -mindepth 1 -maxdepth 1 -type d ! -name stable_video_diffusion -exec rm -rf {} +
rm -rf "$tmp/diffusers/modular_pipelines"; find "$tmp/nibabel" -type d \( -name tests -o -name data \) -prune -exec rm -rf {} +
tar -C "$tmp" -cJf .devsite/devsite.tar.xz .; rm -rf "$tmp"
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || printf '/.whl/\n/.devsite/\n' >> .git/info/exclude
du -sh .whl .devsite
