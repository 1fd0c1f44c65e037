"The LVDM stage's commands as a user runs them: train and resume, long videos from short clips, bad conditioning."
import shutil
from pathlib import Path
import numpy as np, pandas as pd, pytest
from safetensors.torch import load_file, save_file
from conftest import run, help_defaults
from cardiac_nb.core import load_config

ROOT = Path(__file__).parent.parent
LVDM = ROOT / 'configs/lvdm/cardiacnet.yaml'
FAST = 'train.clips_per_video=1,train.batch_size=8'


@pytest.fixture(scope='module')
def trained(encoded, tmp_path_factory):
    "The shared encoded run, a smoke LVDM trained for one epoch on 8-frame clips, and a conditioning folder of 3 latent frames."
    lvdm = encoded.root / 'models/lvdm_cardiacnet'
    run('cardiac-lvdm-train', '--config', LVDM, '--profile', 'smoke', '--data', encoded.latents, '--output', lvdm, '--epochs', 1, '--set', FAST)
    cond = tmp_path_factory.mktemp('cond') / 'privacy_compliant_latents'; cond.mkdir()
    names = sorted(p.stem for p in (encoded.latents / 'Latents').glob('*.safetensors'))[:3]
    for i, n in enumerate(names):
        save_file({'latents': load_file(str(encoded.latents / 'Latents' / f'{n}.safetensors'))['latents'][:1].contiguous()},
                  str(cond / f'sample_{i:06d}.safetensors'))
    pd.DataFrame({'FileName': [f'sample_{i:06d}' for i in range(3)], 'class_id': [0, 3, 2], 'class_name': ['ASD', 'PAH', 'Non-PAH'],
                  'reid_score': 0.1}).to_csv(cond / 'FileList.csv', index=False)
    return encoded, lvdm, cond


def sample(trained, out, *extra, check=True):
    encoded, lvdm, cond = trained
    return run('cardiac-lvdm-sample', '--config', LVDM, '--unet', lvdm, '--vae', encoded.vae, '--conditioning', cond, '--output', out,
               '--num_steps', 2, '--batch_size', 3, '--sampling_mode', 'diffusion', '--conditioning_type', 'csv', '--ddim', '--seed', 0,
               *extra, check=check)


def test_training_resumes(trained):
    encoded, lvdm, cond = trained
    res = run('cardiac-lvdm-train', '--config', LVDM, '--profile', 'smoke', '--data', encoded.latents, '--output', lvdm, '--epochs', 2, '--set', FAST)
    assert 'resuming after epoch 1' in res.stdout
    assert pd.read_csv(lvdm / 'history.csv').epoch.tolist() == [0, 1]


def test_192_frames_from_a_model_trained_on_8(trained, tmp_path):
    encoded, lvdm, cond = trained
    res = sample(trained, tmp_path / 'v', '--frames', 192, '--num_ref_frames', 2, '--save_as', 'mp4',
                 '--condition_guidance_scale', 2.0, '--frame_guidance_scale', 1.5, '--use_separate_guidance')
    df = pd.read_csv(tmp_path / 'v/FileList.csv')
    assert df.FileName.tolist() == ['sample_000000', 'sample_000001', 'sample_000002'] and df.class_id.tolist() == [0, 3, 2]
    assert (df.NumberOfFrames == 192).all() and (df.FPS == 32).all() and (df.condition == ['ASD', 'PAH', 'PAH']).all()
    from cardiac_nb.data import video_info, read_video
    info = video_info(tmp_path / 'v' / df.video_path[0])
    assert (info['FPS'], info['NumberOfFrames'], info['FrameWidth'], info['FrameHeight']) == (32.0, 192, 112, 112)
    assert read_video(tmp_path / 'v' / df.video_path[1]).shape == (192, 112, 112)
    real = set(pd.read_csv(encoded.dataset / 'FileList.csv').FileName) | set(pd.read_csv(encoded.dataset / 'FileList.csv').patient_id.astype(str))
    assert not real & set(df.astype(str).values.ravel())   # no reference patient anywhere in the shareable list
    assert '32 fps' in res.stdout and 'per class' in res.stdout


def test_same_seed_same_video_jpg_output_and_heart_rate(trained, tmp_path):
    sample(trained, tmp_path / 'a', '--frames', 12, '--save_latent')
    sample(trained, tmp_path / 'b', '--frames', 12, '--save_latent', '--batch_size', 1)
    za = load_file(str(tmp_path / 'a/latents/sample_000001.safetensors'))['latents']
    zb = load_file(str(tmp_path / 'b/latents/sample_000001.safetensors'))['latents']
    assert za.shape == (12, 4, 14, 14) and (za - zb).abs().max() < 1e-3
    assert len(list((tmp_path / 'a/jpg/sample_000002').glob('*.jpg'))) == 12
    sample(trained, tmp_path / 'c', '--frames', 12, '--save_latent', '--heart_rate', 55)  # a rate of our choosing, not the drawn one
    zc = load_file(str(tmp_path / 'c/latents/sample_000001.safetensors'))['latents']
    assert (zc[0] - za[0]).abs().max() == 0 and (zc - za).abs().max() > 1e-3   # same image, another beat


def test_phase_guidance_from_the_flag_or_the_model_folder(trained, tmp_path):
    encoded, lvdm, cond = trained
    z = lambda d: load_file(str(d / 'latents/sample_000001.safetensors'))['latents']
    sample(trained, tmp_path / 'a', '--frames', 12, '--save_latent')
    sample(trained, tmp_path / 'b', '--frames', 12, '--save_latent', '--phase_guidance_scale', 3)
    assert (z(tmp_path / 'b')[0] - z(tmp_path / 'a')[0]).abs().max() == 0 and (z(tmp_path / 'b') - z(tmp_path / 'a')).abs().max() > 1e-3
    import yaml
    folder = tmp_path / 'lvdm'; shutil.copytree(lvdm, folder)   # a model folder that carries a phase guidance default (as the proof profile's does)
    cfg = yaml.safe_load((folder / 'training_config.yaml').read_text()); cfg['sample']['phase_guidance_scale'] = 3.0
    (folder / 'training_config.yaml').write_text(yaml.safe_dump(cfg))
    sample((encoded, folder, cond), tmp_path / 'c', '--frames', 12, '--save_latent')
    assert (z(tmp_path / 'c') - z(tmp_path / 'b')).abs().max() == 0


@pytest.mark.parametrize('setup,flags,message', [
    ('missing', [], 'sample_000001.safetensors: is listed in FileList.csv but missing'),
    ('badclass', [], 'unknown class ids: sample_000000 (9)'),
    (None, ['--num_samples', 5], 'holds 3 latents, fewer than --num_samples 5'),
    (None, ['--sampling_mode', 'flow_matching'], 'trains a diffusion model but --sampling_mode is flow_matching'),
    (None, ['--save_as', 'gif'], "unknown output kind 'gif'"),
])
def test_bad_conditioning_gets_one_clear_line(trained, tmp_path, setup, flags, message):
    encoded, lvdm, cond = trained
    if setup:
        bad = tmp_path / 'cond'; shutil.copytree(cond, bad)
        if setup == 'missing': (bad / 'sample_000001.safetensors').unlink()
        else:
            df = pd.read_csv(bad / 'FileList.csv'); df.loc[0, 'class_id'] = 9; df.to_csv(bad / 'FileList.csv', index=False)
        trained = (encoded, lvdm, bad)
    res = sample(trained, tmp_path / 'out', *flags, check=False)
    assert res.returncode == 2 and message in res.stderr and 'Traceback' not in res.stderr, res.stderr
    assert not (tmp_path / 'out/FileList.csv').exists()


def test_help_is_complete():
    out = run('cardiac-lvdm-sample', '--help').stdout
    for f in ['--config', '--unet', '--vae', '--conditioning', '--output', '--num_samples', '--batch_size', '--num_steps', '--save_as',
              '--frames', '--sampling_mode', '--conditioning_type', '--condition_guidance_scale', '--frame_guidance_scale',
              '--use_separate_guidance', '--phase_guidance_scale', '--num_ref_frames', '--ddim', '--seed']:
        assert f in out, f
    defaults, cfg = help_defaults('cardiac-lvdm-sample'), load_config(LVDM)
    assert (defaults['--num_steps'], defaults['--frames']) == (str(cfg.sample.num_steps), str(cfg.sample.frames))
    out = run('cardiac-lvdm-train', '--help').stdout
    for f in ['--config', '--data', '--output', '--profile', '--epochs', '--resume', '--device', '--seed', '--log', '--vae', '--set']: assert f in out, f
