"The LIDM stage's commands as a user runs them: train and resume, sample with the original's flags, bad input."
import json, shutil
from pathlib import Path
import numpy as np, pandas as pd, pytest
from PIL import Image
from safetensors.torch import load_file
from conftest import run, help_defaults
from cardiac_nb.core import load_config
from cardiac_nb.diffusion import sample_seeds

ROOT = Path(__file__).parent.parent
LIDM = ROOT / 'configs/lidm/cardiacnet.yaml'


def train(encoded, lidm, epochs):
    "cardiac-lidm-train at smoke size with TensorBoard's log on, a grid of decoded samples after every epoch."
    return run('cardiac-lidm-train', '--config', LIDM, '--profile', 'smoke', '--data', encoded.latents, '--output', lidm, '--epochs', epochs,
               '--log', 'tensorboard', '--vae', encoded.vae, '--set', 'train.frame_step=6,log.image_every=1')


@pytest.fixture(scope='module')
def trained(encoded):
    "The shared encoded run plus a smoke LIDM trained for one epoch: (run folder, latents, vae, lidm)."
    lidm = encoded.root / 'models/lidm_cardiacnet'
    train(encoded, lidm, 1)
    return encoded.root, encoded.latents, encoded.vae, lidm


def sample(trained, out, *extra, check=True):
    w, lat, vae, lidm = trained
    return run('cardiac-lidm-sample', '--config', LIDM, '--unet', lidm, '--vae', vae, '--output', out, '--num_samples', 6,
               '--num_steps', 8, '--save_latent', '--sampling_mode', 'diffusion', '--conditioning_type', 'class_id',
               '--condition_guidance_scale', 2.0, '--seed', 0, *extra, check=check)


def test_training_resumes_and_tensorboard_reads_its_log_back(trained, encoded):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    w, lat, vae, lidm = trained
    res = train(encoded, lidm, 2)
    assert 'resuming after epoch 1' in res.stdout
    history = pd.read_csv(lidm / 'history.csv')
    assert history.epoch.tolist() == [0, 1]
    assert json.loads((lidm / 'scheduler_config.json').read_text())['prediction_type'] == 'v_prediction'
    events = EventAccumulator(str(w / 'logs/lidm_cardiacnet'))   # beside models/, never inside the model folder
    events.Reload()
    loss = events.Scalars('train/loss')
    steps = len(loss) // 2                                       # two epochs, the second after the resume
    assert steps > 0 and [e.step for e in loss] == list(range(1, 2 * steps + 1))
    assert np.allclose([e.value for e in loss if e.step % steps == 0], history.train_loss, rtol=1e-5)   # what history.csv holds
    assert np.allclose([e.value for e in events.Scalars('valid/loss')], history.valid_loss, rtol=1e-5)
    assert len(events.Scalars('train/lr')) == 2 * steps
    grids = events.Images('samples')                             # two samples of every class, decoded, after each epoch
    assert [g.step for g in grids] == [steps, 2 * steps] and (grids[0].width, grids[0].height) == (8 * 114 + 2, 116)
    assert not (lidm / 'logs').exists()


def test_sample_writes_latents_png_and_csv_the_same_for_any_batch_size(trained, tmp_path):
    sample(trained, tmp_path / 'a', '--class_ids', 4, '--batch_size', 6)
    sample(trained, tmp_path / 'b', '--class_ids', 4, '--batch_size', 4)
    df = pd.read_csv(tmp_path / 'a/samples.csv')
    assert list(df.columns) == ['FileName', 'class_id', 'class_name', 'seed']
    assert sorted(np.bincount(df.class_id, minlength=4)) == [1, 1, 2, 2]
    assert df.equals(pd.read_csv(tmp_path / 'b/samples.csv'))
    for name in df.FileName:
        za = load_file(str(tmp_path / 'a/latents' / f'{name}.safetensors'))['latents']
        zb = load_file(str(tmp_path / 'b/latents' / f'{name}.safetensors'))['latents']
        assert za.shape == (1, 4, 14, 14) and (za - zb).abs().max() < 1e-3
        assert Image.open(tmp_path / 'a/png' / f'{name}.png').size == (112, 112)


@pytest.mark.parametrize('flags', [['--ddim'], ['--sampler', 'dpmpp'], ['--class_ids', '0,3']])
def test_other_samplers_and_class_lists(trained, tmp_path, flags):
    sample(trained, tmp_path / 's', *flags)
    df = pd.read_csv(tmp_path / 's/samples.csv')
    assert len(df) == 6 and df.seed.tolist() == sample_seeds(0, 6)
    assert set(df.class_id) == ({0, 3} if '0,3' in flags else {0, 1, 2, 3})   # a list draws only its classes; '4' all four


@pytest.mark.parametrize('flags,message', [
    (['--class_ids', '9'], 'unknown class id 9'),
    (['--sampling_mode', 'flow_matching'], 'trains a diffusion model but --sampling_mode is flow_matching'),
    (['--sampler', 'flow_euler'], "a diffusion model cannot be sampled with 'flow_euler'"),
])
def test_bad_flags_get_one_clear_line(trained, tmp_path, flags, message):
    res = sample(trained, tmp_path / 's', *flags, check=False)
    assert res.returncode == 2 and message in res.stderr and 'Traceback' not in res.stderr
    assert not (tmp_path / 's/samples.csv').exists()


def test_wrong_folders_get_one_clear_line(trained, tmp_path):
    w, lat, vae, lidm = trained
    res = run('cardiac-lidm-sample', '--config', LIDM, '--unet', tmp_path / 'nowhere', '--vae', vae, '--output', tmp_path / 's', check=False)
    assert res.returncode == 2 and 'no such LIDM folder' in res.stderr
    res = run('cardiac-lidm-sample', '--config', LIDM, '--unet', lidm, '--vae', lidm, '--output', tmp_path / 's', check=False)
    assert res.returncode == 2 and 'describes a UNet2DModel, not the AutoencoderKL a VAE needs' in res.stderr


def test_help_is_complete():
    out = run('cardiac-lidm-sample', '--help').stdout
    for f in ['--config', '--unet', '--vae', '--output', '--num_samples', '--batch_size', '--num_steps', '--save_latent',
              '--sampling_mode', '--conditioning_type', '--class_ids', '--condition_guidance_scale', '--seed', '--ddim', '--sampler']:
        assert f in out, f
    defaults, cfg = help_defaults('cardiac-lidm-sample'), load_config(LIDM)
    assert (defaults['--num_steps'], defaults['--condition_guidance_scale']) == (str(cfg.sample.num_steps), str(cfg.sample.guidance_scale))
    out = run('cardiac-lidm-train', '--help').stdout
    for f in ['--config', '--data', '--output', '--profile', '--epochs', '--resume', '--device', '--seed', '--log', '--vae', '--set']: assert f in out, f
