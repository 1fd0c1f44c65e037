"The VAE stage's commands as a user runs them: train (and resume), encode (and skip, and survive a corrupt video)."
import json, shutil
from pathlib import Path
import pandas as pd, pytest, torch
from conftest import run
from cardiac_nb.vae import load_vae, load_latents, latent_path, encode_video
from cardiac_nb.data import read_video

CONFIG = Path(__file__).parent.parent / 'configs/vae/cardiacnet.yaml'


@pytest.fixture(scope='module')
def dataset(encoded): return encoded.dataset


@pytest.fixture(scope='module')
def model(encoded): return encoded.vae


def test_train_saves_a_diffusers_folder_and_resumes(model, dataset, tmp_path):
    assert {'config.json', 'diffusion_pytorch_model.safetensors', 'training_config.yaml', 'checkpoint.pt', 'history.csv', 'README.md'} <= \
        {p.name for p in model.iterdir()}
    assert json.loads((model / 'config.json').read_text())['block_out_channels'] == [16, 32, 32, 32]
    model = shutil.copytree(model, tmp_path / 'vae')   # go on training a copy: the shared one stays as encoded
    res = run('cardiac-vae-train', '--config', CONFIG, '--profile', 'smoke', '--dataset', dataset, '--output', model,
              '--epochs', 2, '--set', 'train.frame_step=20')
    assert 'resuming after epoch 1' in res.stdout
    assert pd.read_csv(model / 'history.csv').epoch.tolist() == [0, 1]


def test_encode_skips_done_and_names_a_corrupt_video(model, dataset, tmp_path):
    ds = tmp_path / 'ds'
    shutil.copytree(dataset, ds)
    bad = ds / 'Videos/ASD_002.mp4'
    bad.write_bytes(bad.read_bytes()[:300])  # truncated
    out = tmp_path / 'latents'
    res = run('cardiac-encode', '--model', model, '--input', ds, '--output', out, '--gray_scale', '--batch_size', 16)
    assert f'{bad}: is not a readable video' in res.stderr and '1 of 28 videos skipped' in res.stdout
    df = pd.read_csv(out / 'FileList.csv')
    assert len(df) == 28 and len(list((out / 'Latents').glob('*.safetensors'))) == 27
    vae = load_vae(model, 'cpu')
    name = df.FileName[0]
    lat = load_latents(latent_path(out, name))
    assert lat.shape == (df.NumberOfFrames[0], 4, 14, 14)
    assert torch.allclose(lat, encode_video(vae, read_video(ds / df.video_path[0])), atol=1e-5)
    before = latent_path(out, name).stat().st_mtime_ns
    res = run('cardiac-encode', '--model', model, '--input', ds, '--output', out, '--gray_scale')
    assert '27 already encoded' in res.stdout and latent_path(out, name).stat().st_mtime_ns == before
    assert not [p for p in out.rglob('*') if '.tmp-' in p.name]


@pytest.mark.parametrize('setup,message', [
    (lambda m, t: t / 'nowhere', 'no such VAE folder'),
    (lambda m, t: (t / 'empty').mkdir() or t / 'empty', 'has no config.json, so it is not a VAE folder'),
])
def test_wrong_model_folder_gets_one_clear_line(model, dataset, tmp_path, setup, message):
    res = run('cardiac-encode', '--model', setup(model, tmp_path), '--input', dataset, '--output', tmp_path / 'lat', check=False)
    assert res.returncode == 2 and message in res.stderr and 'Traceback' not in res.stderr
    assert not (tmp_path / 'lat').exists()


def test_mismatched_weights_get_one_clear_line(model, dataset, tmp_path):
    bad = tmp_path / 'vae'
    shutil.copytree(model, bad)
    cfg = json.loads((bad / 'config.json').read_text())
    cfg['block_out_channels'] = [16, 32, 64, 64]
    (bad / 'config.json').write_text(json.dumps(cfg))
    res = run('cardiac-encode', '--model', bad, '--input', dataset, '--output', tmp_path / 'lat', check=False)
    assert res.returncode == 2 and 'does not match the model' in res.stderr and 'Traceback' not in res.stderr


@pytest.mark.parametrize('cmd,flags', [
    ('cardiac-vae-train', ['--config', '--dataset', '--output', '--profile', '--epochs', '--resume', '--device', '--seed', '--log', '--set']),
    ('cardiac-encode', ['--model', '--input', '--output', '--gray_scale', '--batch_size', '--overwrite', '--device']),
])
def test_help_is_complete(cmd, flags):
    out = run(cmd, '--help').stdout
    for f in flags: assert f in out, f'{cmd} --help lacks {f}'
