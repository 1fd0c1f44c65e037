"Shared fixtures: a small phantom CardiacNet and a helper that runs cardiac_nb commands as a user would."
import os, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent  # the venv's bin, where the console scripts live


def run(*args, check=True, timeout=600, **kw):
    "Run a cardiac_nb command line; returns the CompletedProcess (stdout and stderr as text)."
    cmd = [str(BIN / args[0]), *map(str, args[1:])]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {res.returncode}\n{res.stdout}\n{res.stderr}")
    return res


@pytest.fixture(scope='session')
def raw(tmp_path_factory):
    "A phantom CardiacNet with 7 patients per class (the fewest that gives every split a patient)."
    root = tmp_path_factory.mktemp('raw') / 'CardiacNet'
    run('cardiac-phantom', '--output', root, '--videos_per_class', 7, '--seed', 0, '--num_frames', 40)
    return root
