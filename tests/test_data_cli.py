"The data stage's commands, run as a user runs them: outputs, bad input, resume after a kill."
import shutil, signal, subprocess, time, gzip
from pathlib import Path
import numpy as np, pandas as pd, pytest
from conftest import run, BIN
from cardiac_nb.data import read_video, video_info, FILELIST_COLUMNS
from cardiac_nb.phantom import write_case


def copy_raw(raw, dst, classes=('ASD', 'Non-ASD')):
    "A copy of part of the raw phantom, to damage."
    out = Path(dst) / 'CardiacNet'
    for c in classes:
        study = 'CardiacNet-ASD' if 'ASD' in c else 'CardiacNet-PAH'
        shutil.copytree(raw / study / c, out / study / c)
    return out


def no_tmp_left(folder):
    return not [p for p in Path(folder).rglob('*') if '.tmp-' in p.name]


def test_pipeline_produces_what_later_stages_read(raw, tmp_path):
    ds, ref, jpg = tmp_path / 'datasets/CardiacNet', tmp_path / 'data/reference/cardiacnet', tmp_path / 'jpg'
    run('cardiac-prepare', '--folder_path', raw, '--output_format', 'mp4', '--fps', 32, '--resize', '112,112', '--output', ds)
    run('cardiac-split', '--csv_path', ds / 'FileList.csv')
    run('cardiac-reference', '--dataset', ds, '--output', ref, '--frames', 16)
    run('cardiac-frames', '--video_folder', ds / 'Videos', '--output_folder', jpg)
    df = pd.read_csv(ds / 'FileList.csv')
    assert list(df.columns) == FILELIST_COLUMNS + ['Split']
    assert len(df) == 28 and (ds / 'preview.png').stat().st_size > 10_000
    assert df.groupby('class_name').Split.value_counts().unstack().to_dict() == \
        {'TRAIN': dict.fromkeys(['ASD', 'Non-ASD', 'Non-PAH', 'PAH'], 4), 'VAL': dict.fromkeys(['ASD', 'Non-ASD', 'Non-PAH', 'PAH'], 1),
         'TEST': dict.fromkeys(['ASD', 'Non-ASD', 'Non-PAH', 'PAH'], 2)}
    assert dict(zip(df.class_name, df.class_id)) == {'ASD': 0, 'Non-ASD': 1, 'Non-PAH': 2, 'PAH': 3}
    truth = pd.read_csv(raw / 'phantom.csv', dtype={'case': str})
    for r in df.itertuples():
        v = read_video(ds / r.video_path)
        info = video_info(ds / r.video_path)
        assert v.shape == (r.NumberOfFrames, 112, 112) and info['FPS'] == 32.0
        t = truth[(truth.class_name == r.class_name) & (truth.case == r.FileName.rsplit('_', 1)[1])].iloc[0]
        assert r.NumberOfFrames == round(40 * 32 / t.fps)  # source duration kept at 32 fps
        assert len(list((jpg / r.FileName).glob('*.jpg'))) == r.NumberOfFrames
        assert len(list((ref / r.FileName).glob('*.jpg'))) == 16
    assert no_tmp_left(tmp_path)


def test_rerun_skips_done_videos_and_keeps_split(raw, tmp_path):
    ds = tmp_path / 'ds'
    run('cardiac-prepare', '--folder_path', raw, '--output', ds)
    run('cardiac-split', '--csv_path', ds / 'FileList.csv', '--seed', 3)
    before = {p.name: p.stat().st_mtime_ns for p in (ds / 'Videos').iterdir()}
    split = pd.read_csv(ds / 'FileList.csv').Split.tolist()
    res = run('cardiac-prepare', '--folder_path', raw, '--output', ds)
    assert '28 of 28 videos already done' in res.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (ds / 'Videos').iterdir()} == before
    assert pd.read_csv(ds / 'FileList.csv').Split.tolist() == split
    run('cardiac-prepare', '--folder_path', raw, '--output', ds, '--overwrite')
    assert all(p.stat().st_mtime_ns > before[p.name] for p in (ds / 'Videos').iterdir())


def test_bad_cases_are_named_and_skipped(raw, tmp_path):
    bad = copy_raw(raw, tmp_path)
    asd = bad / 'CardiacNet-ASD/ASD'
    data = (asd / '001_image.nii.gz').read_bytes()
    (asd / '001_image.nii.gz').write_bytes(data[:len(data) // 3])                      # truncated download
    (asd / '002_image.nii.gz').write_bytes(gzip.compress(b'not a nifti at all' * 50))  # corrupt content
    frame = np.full((1, 60, 80), 100, np.uint8); frame[0, 10:20, 10:20] = 200
    write_case(asd, '003', frame, frame * 0, 0.5, 30.0)                                # a single frame
    (asd / '004_label.nii.gz').unlink()                                                # image without label
    (asd / '005_image.nii.gz').unlink()                                                # label without image
    shutil.copytree(bad / 'CardiacNet-ASD/Non-ASD', bad / 'CardiacNet-ASD/VSD')        # unknown class folder
    res = run('cardiac-prepare', '--folder_path', bad, '--output', tmp_path / 'ds')
    err = res.stderr
    assert f'{asd}/001_image.nii.gz: is not a readable NIfTI file' in err
    assert f'{asd}/002_image.nii.gz: is not a readable NIfTI file' in err
    assert f'{asd}/003_image.nii.gz: has 1 frame(s); a video needs at least 2' in err
    assert f'{asd}/005_label.nii.gz: is a label without its image' in err
    assert f"{bad}/CardiacNet-ASD/VSD: is not a CardiacNet class folder" in err
    assert f'{asd}/004_image.nii.gz has no 004_label file' in res.stdout
    df = pd.read_csv(tmp_path / 'ds/FileList.csv')
    assert sorted(df.FileName) == [f'ASD_00{i}' for i in (4, 6, 7)] + [f'Non-ASD_00{i}' for i in range(1, 8)]
    assert '3 of 13 cases skipped' in res.stdout and '2 entries of the raw folder not recognised' in res.stdout
    assert no_tmp_left(tmp_path / 'ds')


@pytest.mark.parametrize('args,message', [
    (['--folder_path', '/nonexistent/CardiacNet'], '/nonexistent/CardiacNet: no such folder. Fix: pass --folder_path'),
    (['--resize', '112x112'], "--resize '112x112' is not two integers"),
    (['--output_format', 'gif'], "output format 'gif' is not supported"),
])
def test_bad_arguments_get_one_clear_line(raw, tmp_path, args, message):
    res = run('cardiac-prepare', '--folder_path', raw, '--output', tmp_path / 'ds', *args, check=False)
    assert res.returncode == 2 and 'Traceback' not in res.stderr
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / 'ds/FileList.csv').exists()


def test_split_needs_a_filelist_with_patients(tmp_path):
    (tmp_path / 'FileList.csv').write_text('FileName,class_name\na,ASD\n')
    res = run('cardiac-split', '--csv_path', tmp_path / 'FileList.csv', check=False)
    assert res.returncode == 2 and "has no column 'patient_id'" in res.stderr
    assert (tmp_path / 'FileList.csv').read_text() == 'FileName,class_name\na,ASD\n'  # left intact


def test_reference_needs_split_when_asked(raw, tmp_path):
    ds = tmp_path / 'ds'
    run('cardiac-prepare', '--folder_path', copy_raw(raw, tmp_path, ('ASD',)), '--output', ds)
    res = run('cardiac-reference', '--dataset', ds, '--output', tmp_path / 'ref', '--split', 'TEST', check=False)
    assert res.returncode == 2 and "FileList.csv: has no column 'Split'. Fix: run cardiac-split first" in res.stderr


def test_kaggle_layout_and_missing_frame_rate(tmp_path):
    run('cardiac-phantom', '--output', tmp_path / 'gz', '--videos_per_class', 1, '--num_frames', 24)
    run('cardiac-phantom', '--output', tmp_path / 'kg', '--videos_per_class', 1, '--num_frames', 24, '--layout', 'kaggle')
    assert (tmp_path / 'kg/CardiacNet-PAH/PAH/001_image.nii/001_image.nii').is_file()
    for name in ('gz', 'kg'): run('cardiac-prepare', '--folder_path', tmp_path / name, '--output', tmp_path / f'ds-{name}')
    for v in (tmp_path / 'ds-gz/Videos').iterdir():
        assert np.array_equal(read_video(v), read_video(tmp_path / 'ds-kg/Videos' / v.name))
    # a source without a frame time in its header falls back to --source_fps
    frames = np.random.default_rng(0).integers(0, 255, (20, 64, 80)).astype(np.uint8)
    write_case(tmp_path / 'nofps/CardiacNet-ASD/ASD', '001', frames, frames * 0, 0.5, None)
    run('cardiac-prepare', '--folder_path', tmp_path / 'nofps', '--output', tmp_path / 'ds-nofps', '--source_fps', 16)
    assert pd.read_csv(tmp_path / 'ds-nofps/FileList.csv').NumberOfFrames.tolist() == [40]


def test_killed_prepare_leaves_no_half_written_file_and_resumes(raw, tmp_path):
    ds = tmp_path / 'ds'
    proc = subprocess.Popen([str(BIN / 'cardiac-prepare'), '--folder_path', str(raw), '--output', str(ds), '--workers', '1'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finals = lambda: [p for p in (ds / 'Videos').glob('*.mp4') if not p.name.startswith('.')]  # not the hidden temporaries
    deadline = time.time() + 120
    while time.time() < deadline and len(finals()) < 3: time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    done = finals()
    assert 3 <= len(done) < 28 and not (ds / 'FileList.csv').exists()
    for v in done: assert len(read_video(v)) == video_info(v)['NumberOfFrames'] > 0   # every final name is whole
    res = run('cardiac-prepare', '--folder_path', raw, '--output', ds)
    assert f'{len(done)} of 28 videos already done' in res.stdout
    assert len(pd.read_csv(ds / 'FileList.csv')) == 28 and no_tmp_left(ds)


@pytest.mark.parametrize('cmd,flags', [
    ('cardiac-phantom', ['--output', '--videos_per_class', '--real_counts', '--seed', '--num_frames', '--layout', '--workers']),
    ('cardiac-prepare', ['--folder_path', '--output_format', '--fps', '--resize', '--output', '--source_fps', '--normalize',
                         '--keep_aspect', '--transpose', '--flip', '--overwrite', '--workers']),
    ('cardiac-split', ['--csv_path', '--train', '--val', '--seed']),
    ('cardiac-reference', ['--dataset', '--output', '--frames', '--split', '--seed', '--overwrite', '--workers']),
    ('cardiac-frames', ['--video_folder', '--output_folder', '--overwrite', '--workers']),
])
def test_help_is_complete(cmd, flags):
    out = run(cmd, '--help').stdout
    for f in flags: assert f in out, f'{cmd} --help lacks {f}'
    assert out.count('(default:') >= len(flags) - sum(f in ('--real_counts', '--transpose', '--overwrite') for f in flags) - 1
