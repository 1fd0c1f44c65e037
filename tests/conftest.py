"Shared fixtures: a small phantom CardiacNet, a helper that runs cardiac_nb commands as a user would, and a loader for scripts/."
import importlib.util, os, re, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent  # the venv's bin, where the console scripts live
ROOT = Path(__file__).resolve().parent.parent  # the repository


def script(name:str):
    "A script of scripts/ (`check_docs`) loaded as a module, so tests can use its pieces."
    spec = importlib.util.spec_from_file_location(name, ROOT/'scripts'/f'{name}.py')
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module


def run(*args, check=True, timeout=600, **kw):
    "Run a cardiac_nb command line; returns the CompletedProcess (stdout and stderr as text)."
    cmd = [str(BIN / args[0]), *map(str, args[1:])]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {res.returncode}\n{res.stdout}\n{res.stderr}")
    return res


def help_defaults(command:str) -> dict:
    "A command's `--help`, as flag -> the default it states (the text after 'default:', wrapped lines joined)."
    out = run(command, '--help').stdout
    text = re.sub(r'\n\s{20,}', ' ', out.split('options:')[-1])  # continuation lines of a flag's help
    return {m.group(1): m.group(2).strip() for m in re.finditer(r'^\s+(--\w+)[^\n]*?\(default: ([^)]*)\)', text, re.M)}


@pytest.fixture(scope='session')
def raw(tmp_path_factory):
    "A phantom CardiacNet with 7 patients per class (the fewest that gives every split a patient)."
    root = tmp_path_factory.mktemp('raw') / 'CardiacNet'
    run('cardiac-phantom', '--output', root, '--videos_per_class', 7, '--seed', 0, '--num_frames', 40)
    return root


@pytest.fixture(scope='session')
def encoded(raw, tmp_path_factory):
    "The phantom ingested, split, a smoke VAE trained for one epoch, and every video encoded (shared by the stage tests)."
    from types import SimpleNamespace
    w = tmp_path_factory.mktemp('run')
    r = SimpleNamespace(root=w, dataset=w / 'datasets/CardiacNet', vae=w / 'models/vae', latents=w / 'data/latents/cardiacnet')
    config = Path(__file__).parent.parent / 'configs/vae/cardiacnet.yaml'
    run('cardiac-prepare', '--folder_path', raw, '--output', r.dataset)
    run('cardiac-split', '--csv_path', r.dataset / 'FileList.csv')
    run('cardiac-vae-train', '--config', config, '--profile', 'smoke', '--dataset', r.dataset, '--output', r.vae,
        '--epochs', 1, '--set', 'train.frame_step=20')
    run('cardiac-encode', '--model', r.vae, '--input', r.dataset, '--output', r.latents, '--gray_scale')
    return r
