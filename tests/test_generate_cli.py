"The generation stage as a user runs it: cardiac-synthetic from trained smoke models to a shareable dataset, re-run, too few passing, bad flags."
import json, shutil
from pathlib import Path
import pandas as pd, pytest
from conftest import run

ROOT = Path(__file__).parent.parent
CFG = ROOT / 'configs'
COLUMNS = ['FileName', 'video_path', 'condition', 'class_name', 'class_id', 'patient_id', 'FPS', 'FrameWidth', 'FrameHeight',
           'NumberOfFrames', 'Split', 'Synthetic']
CLASSES = ['ASD', 'Non-ASD', 'Non-PAH', 'PAH']


@pytest.fixture(scope='module')
def models(encoded, tmp_path_factory):
    "The shared encoded run plus a smoke LIDM, re-identification model and LVDM, each trained briefly: (encoded, lidm, reid, lvdm)."
    m = tmp_path_factory.mktemp('generate_models')
    lidm, reid, lvdm = m / 'lidm', m / 'reid', m / 'lvdm'
    run('cardiac-lidm-train', '--config', CFG / 'lidm/cardiacnet.yaml', '--profile', 'smoke', '--data', encoded.latents, '--output', lidm,
        '--epochs', 1, '--set', 'train.frame_step=6')
    run('cardiac-privacy-train', '--config', CFG / 'privacy/cardiacnet.yaml', '--profile', 'smoke', '--data', encoded.latents, '--output', reid,
        '--vae', encoded.vae, '--epochs', 3)
    run('cardiac-lvdm-train', '--config', CFG / 'lvdm/cardiacnet.yaml', '--profile', 'smoke', '--data', encoded.latents, '--output', lvdm,
        '--epochs', 1, '--set', 'train.clips_per_video=1,train.batch_size=8')
    return encoded, lidm, reid, lvdm


def synthetic(models, root, *extra, reid=None, check=True):
    "cardiac-synthetic into <root>/datasets/Cardiac-synthetic: four 8-frame videos, 2 steps, split 2,1,1."
    encoded, lidm, reid_default, lvdm = models
    return run('cardiac-synthetic', '--lidm', lidm, '--lvdm', lvdm, '--vae', encoded.vae, '--reidentification', reid or reid_default,
               '--reference', encoded.latents, '--output', root / 'datasets/Cardiac-synthetic', '--num_videos', 4, '--split', '2,1,1',
               '--frames', 8, '--num_steps', 2, '--ddim', '--seed', 0, '--device', 'cpu', *extra, check=check)


@pytest.fixture(scope='module')
def made(models, tmp_path_factory):
    "One synthetic dataset made from the models: (run root, dataset folder, work folder, command result)."
    root = tmp_path_factory.mktemp('synthetic')
    res = synthetic(models, root, '--top_up')
    return root, root / 'datasets/Cardiac-synthetic', root / 'samples/cardiac_synthetic', res


def real_names(encoded):
    df = pd.read_csv(encoded.dataset / 'FileList.csv')
    return set(df.FileName.astype(str)) | set(df.patient_id.astype(str))


def test_dataset_layout_classes_and_split(made):
    from cardiac_nb.data import video_info
    root, out, work, res = made
    df = pd.read_csv(out / 'FileList.csv')
    assert list(df.columns) == COLUMNS and len(df) == 4
    assert df.Split.value_counts().to_dict() == {'TRAIN': 2, 'VAL': 1, 'TEST': 1}
    assert (df.Synthetic == 1).all() and (df.patient_id == df.FileName).all()
    assert (df.video_path == 'Videos/' + df.FileName + '.mp4').all()
    kept = pd.read_csv(work / 'lidm/privacy_compliant_latents/FileList.csv').set_index('FileName')
    assert df.class_id.tolist() == kept.class_id[df.FileName].tolist()          # the class each image was drawn for
    assert df.class_name.tolist() == [CLASSES[c] for c in df.class_id]
    assert df.condition.tolist() == [{'ASD': 'ASD', 'Non-ASD': 'ASD', 'Non-PAH': 'PAH', 'PAH': 'PAH'}[c] for c in df.class_name]
    for r in df.itertuples():
        info = video_info(out / r.video_path)
        assert (info['FPS'], info['NumberOfFrames'], info['FrameWidth'], info['FrameHeight']) == (32.0, 8, 112, 112) == \
               (r.FPS, r.NumberOfFrames, r.FrameWidth, r.FrameHeight)
        assert len(list((out / 'jpg' / r.FileName).glob('*.jpg'))) == 8
    assert sorted(p.stem for p in (out / 'Videos').iterdir()) == sorted(df.FileName)
    gen = json.loads((out / 'generation.json').read_text())
    assert gen['complete'] and gen['videos'] == 4 and gen['lidm_images'] >= 8 and gen['privacy_kept'] >= 4
    assert not (out / 'privacy_audit.csv').exists() and (work / 'lidm/privacy_audit.csv').is_file()   # the audit stays private
    assert '[1/3]' in res.stdout and '[3/3]' in res.stdout and 'per split' in res.stdout


def test_no_reference_patient_in_any_file_written(made, models):
    "Not in a path, not in the bytes of any file of the dataset; in the work folder only the private audit names them."
    root, out, work, res = made
    names = real_names(models[0])
    assert 'ASD_001' in names
    for folder in (out, work):
        for p in folder.rglob('*'):
            rel = str(p.relative_to(folder))
            assert not any(n in rel for n in names), rel
            if p.is_file() and p.name != 'privacy_audit.csv':
                data = p.read_bytes()
                assert not any(n.encode() in data for n in names), rel
    audit = pd.read_csv(work / 'lidm/privacy_audit.csv')
    assert set(audit.closest_reference) <= names                               # the check above would see one if it leaked


def test_rerun_makes_nothing_again(made, models):
    root, out, work, res = made
    stamps = {p: p.stat().st_mtime_ns for p in [*(out / 'Videos').iterdir(), *(work / 'lidm/latents').iterdir()]}
    listed = (out / 'FileList.csv').read_text()
    again = synthetic(models, root, '--top_up')
    assert '(4 already made)' in again.stdout
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps and (out / 'FileList.csv').read_text() == listed
    other = synthetic(models, root, '--frames', 12, check=False)
    assert other.returncode == 2 and 'was made with other settings (frames 8 -> 12)' in other.stderr and 'Traceback' not in other.stderr


def test_too_few_pass_stops_or_tops_up(made, models, tmp_path):
    "A strict threshold that 3 of the first 8 images pass: an error naming the folder and --top_up, then --top_up draws more."
    root, out, work, res = made
    first = pd.read_csv(work / 'lidm/samples.csv').FileName[:8]
    audit = pd.read_csv(work / 'lidm/privacy_audit.csv').set_index('FileName').loc[first]
    strict = tmp_path / 'reid_strict'; shutil.copytree(models[2], strict)
    info = json.loads((strict / 'threshold.json').read_text())
    info['threshold'] = float(audit.reid_score.sort_values().iloc[3])
    (strict / 'threshold.json').write_text(json.dumps(info))
    short = synthetic(models, tmp_path, reid=strict, check=False)
    kept_folder = tmp_path / 'samples/cardiac_synthetic/lidm/privacy_compliant_latents'
    assert short.returncode == 2 and 'Traceback' not in short.stderr, short.stderr
    assert f'{kept_folder}: the privacy filter kept 3 of 8 LIDM images, fewer than the 4 videos wanted. Fix: pass --top_up' in short.stderr
    assert not (tmp_path / 'datasets/Cardiac-synthetic/FileList.csv').exists()
    topped = synthetic(models, tmp_path, '--top_up', reid=strict)
    assert 'top-up 1: drawing' in topped.stdout
    samples = pd.read_csv(tmp_path / 'samples/cardiac_synthetic/lidm/samples.csv')
    assert len(samples) > 8 and samples.FileName.is_unique and samples.FileName[:8].tolist() == first.tolist()
    assert samples.FileName.tolist() == [f'sample_{i:06d}' for i in range(len(samples))]
    df = pd.read_csv(tmp_path / 'datasets/Cardiac-synthetic/FileList.csv')
    scores = pd.read_csv(tmp_path / 'samples/cardiac_synthetic/lidm/privacy_audit.csv').set_index('FileName').reid_score
    assert len(df) == 4 and (scores[df.FileName] < info['threshold']).all()
    assert any(int(n.split('_')[1]) >= 8 for n in df.FileName)               # a topped-up image became a video


@pytest.mark.parametrize('flags,message', [
    (['--split', '2,2,1'], '--split 2,2,1 asks for 5 videos but --num_videos is 4'),
    (['--sampling_mode', 'flow_matching'], 'trains a diffusion model but --sampling_mode is flow_matching'),
])
def test_bad_flags_get_one_clear_line(models, tmp_path, flags, message):
    res = synthetic(models, tmp_path, *flags, check=False)
    assert res.returncode == 2 and message in res.stderr and 'Traceback' not in res.stderr, res.stderr
    assert not (tmp_path / 'datasets/Cardiac-synthetic/FileList.csv').exists()


def test_a_real_dataset_is_never_written_into(models, tmp_path):
    encoded, lidm, reid, lvdm = models
    before = (encoded.dataset / 'FileList.csv').read_text()
    res = run('cardiac-synthetic', '--lidm', lidm, '--lvdm', lvdm, '--vae', encoded.vae, '--reidentification', reid, '--reference', encoded.latents,
              '--output', encoded.dataset, '--num_videos', 4, '--work', tmp_path / 'work', check=False)
    assert res.returncode == 2 and 'holds a real dataset' in res.stderr
    assert (encoded.dataset / 'FileList.csv').read_text() == before and not (encoded.dataset / 'generation.json').exists()


def test_help_is_complete():
    out = run('cardiac-synthetic', '--help').stdout
    for f in ['--lidm', '--lvdm', '--vae', '--reidentification', '--reference', '--output', '--num_videos', '--oversample', '--top_up',
              '--split', '--frames', '--num_steps', '--lidm_steps', '--lvdm_steps', '--class_ids', '--lidm_guidance_scale',
              '--condition_guidance_scale', '--frame_guidance_scale', '--use_separate_guidance', '--num_ref_frames', '--sampling_mode',
              '--ddim', '--sampler', '--batch_size', '--fps', '--work', '--seed', '--device']:
        assert f in out, f


def test_privacy_attack_writes_its_figures_into_the_dataset_and_its_card(made, models):
    "cardiac-privacy-attack on the made dataset: every attack's figures and verdicts in privacy_attacks.json, one card section before the intended use, no real name."
    encoded, lidm, reid, lvdm = models
    root, out, work, res = made
    attack = lambda synthetic, check=True: run('cardiac-privacy-attack', '--synthetic', synthetic, '--lidm', lidm, '--lvdm', lvdm, '--vae', encoded.vae,
                                               '--reidentification', reid, '--reference', encoded.latents, '--config', CFG / 'privacy/cardiacnet.yaml',
                                               '--profile', 'smoke', '--device', 'cpu', check=check)
    r = attack(out)
    audit = json.loads((out / 'privacy_attacks.json').read_text())
    for model in ('lidm', 'lvdm'):
        for a in ('loss', 'pia'):
            m = audit['membership'][model][a]
            assert 0 <= m['auc_ci95'][0] <= m['auc'] <= m['auc_ci95'][1] <= 1 and m['n_members'] > 0 and m['n_nonmembers'] > 0, (model, a, m)
    assert len(audit['near_duplicates']['kinds']) == 8 and audit['copied_motion']['n'] == 4 and audit['dcr']['n_records'] == 4
    assert set(audit['met']) == {'membership_lidm', 'membership_lvdm', 'near_duplicates', 'test_price', 'copied_motion', 'dcr'}
    assert f"targets met: {sum(audit['met'].values())} of 6" in r.stdout
    attack(out)                                                                  # a second audit replaces the first
    card = (out / 'README.md').read_text()
    assert card.count('## Privacy under attack') == 1 and card.index('## Privacy\n') < card.index('## Privacy under attack') < card.index('## Intended use')
    names = real_names(encoded)
    for f in ('privacy_attacks.json', 'README.md'): assert not any(n in (out / f).read_text() for n in names), f
    bad = attack(root / 'nowhere', check=False)
    assert bad.returncode == 2 and 'no such FileList.csv' in bad.stderr and 'Traceback' not in bad.stderr
