"""cardiac-pipeline end to end: the smoke profile on the echo phantom, killed in the middle of a stage, then resumed.

This is where CI runs the stage notebooks 01..07 (scripts/test.sh leaves them out of nbdev_test): each executes,
with its own checks, on the run that the stages before it made."""
import json, math, os, shutil, signal, subprocess, time
from pathlib import Path
import pandas as pd
import pytest, yaml

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = shutil.which('cardiac-pipeline') or str(Path(__file__).resolve().parents[1]/'.venv/bin/cardiac-pipeline')
STAGES = ['data', 'vae', 'lidm', 'privacy', 'lvdm', 'generate', 'evaluate']
KILL_IN = 'lidm'  # the stage the first attempt is killed in
SMOKE = ('--profile', 'smoke', '--log', 'tensorboard')  # the smoke run's flags: TensorBoard's logs too


def pipeline(out, *args, **kw):
    return subprocess.run([PIPELINE, '--out', str(out), '--quiet', *args], capture_output=True, text=True, **kw)


def stages_of(run):
    return json.loads((run/'run.json').read_text())['stages']


@pytest.fixture(scope='session')
def smoke(tmp_path_factory):
    "A smoke run killed while KILL_IN runs, then resumed to the end: (run folder, records at the kill, resume output)."
    run = tmp_path_factory.mktemp('pipeline')/'smoke'
    log = open(run.parent/'killed.log', 'w')
    first = subprocess.Popen([PIPELINE, *SMOKE, '--out', str(run), '--quiet'], stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    deadline = time.time() + 900
    while time.time() < deadline and first.poll() is None:
        if (run/'run.json').is_file() and stages_of(run).get(KILL_IN, {}).get('status') == 'running' and (run/'03_lidm.ipynb').is_file():
            break
        time.sleep(1)
    assert first.poll() is None, (run.parent/'killed.log').read_text()
    time.sleep(5)                                      # well inside the stage: its notebook is half-way
    os.killpg(first.pid, signal.SIGKILL); first.wait()
    time.sleep(3)                                      # the orphaned kernel notices its parent is gone and exits
    at_kill = stages_of(run)
    resumed = pipeline(run, *SMOKE, timeout=1800)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    return run, at_kill, resumed.stdout


def test_killed_stage_is_redone_and_finished_ones_are_skipped(smoke):
    run, at_kill, out = smoke
    test = stages_of(run)
    assert at_kill[KILL_IN]['status'] == 'running'
    for s in STAGES[:STAGES.index(KILL_IN)]:
        assert at_kill[s]['status'] == 'done' and f'{s:<9} done earlier' in out, out
        assert test[s] == at_kill[s]                   # not run again: the same record, the same outputs
    assert f'{KILL_IN:<9} running 03_lidm.ipynb (stopped while running)' in out, out
    assert all(test[s]['status'] == 'done' for s in STAGES), test


def test_every_model_has_a_card_and_tensorboard_logs(smoke):
    "Each model: a Hugging Face card (front matter, counts of what it learned from, the run's rows for it), no real name in any byte; logs beside models/."
    run, _, _ = smoke
    real, metrics = pd.read_csv(run/'datasets/CardiacNet/FileList.csv'), json.loads((run/'metrics.json').read_text())
    names = [n.encode() for n in set(real.FileName) | set(real.patient_id)]
    for stage, folder in [('vae', 'vae'), ('lidm', 'lidm_cardiacnet'), ('reidentification', 'reidentification_cardiacnet'), ('lvdm', 'lvdm_cardiacnet')]:
        card = (run/'models'/folder/'README.md').read_bytes()
        assert not [n for n in names if n in card], (folder, [n for n in names if n in card][:3])
        meta = yaml.safe_load(card.decode().split('---\n')[1])
        assert meta['library_name'] == 'diffusers' and 'cardiac_nb' in meta['tags'] and meta['cardiac_nb']['stage'] == stage
        assert sum(meta['cardiac_nb']['training_data']['videos']['TRAIN'].values()) == (real.Split == 'TRAIN').sum()
        rows = meta['cardiac_nb']['run']                 # the claim's rows that speak for this model, from the evaluation
        assert rows and [r['claim'] for r in rows] == [c['claim'] for c in metrics['claims'] if stage in c['models']]
        assert (stage == 'vae') != any(r['section'] == 'privacy' for r in rows), rows
        assert list((run/'logs'/folder).glob('events.out.tfevents.*')), folder   # TensorBoard's (--log tensorboard)


def test_the_run_holds_every_stage_output(smoke):
    run, _, _ = smoke
    for nb in ['01_data', '02_vae', '03_lidm', '04_privacy', '05_lvdm', '06_generate', '07_evaluate']:
        assert (run/f'{nb}.ipynb').is_file()           # the executed notebooks are the run's report
    syn = pd.read_csv(run/'datasets/Cardiac-synthetic/FileList.csv')
    assert len(syn) == 16 and (syn.Synthetic == 1).all()
    per_class = pd.crosstab(syn.class_id, syn.Split)
    assert (per_class[per_class.sum(axis=1) >= 3] > 0).all().all()  # a class with videos enough is in every split
    assert per_class.sum(axis=1).max() - per_class.sum(axis=1).min() <= 16 // len(per_class)  # as even as the survivors allow
    real = pd.read_csv(run/'datasets/CardiacNet/FileList.csv')
    assert not set(real.patient_id) & set(syn.patient_id)
    metrics = json.loads((run/'metrics.json').read_text())
    attacks = json.loads((run/'datasets/Cardiac-synthetic/privacy_attacks.json').read_text())   # the generate stage's audit, carried into the report
    assert metrics['privacy']['attacks'] == attacks and '## Privacy under attack' in (run/'datasets/Cardiac-synthetic/README.md').read_text()
    fid, report = metrics['fidelity'], (run/'report.md').read_text()
    for key in ('FID', 'FVD16', 'FID_real_train', 'FVD16_real_train', 'FID_vae_reconstruction', 'FVD16_vae_reconstruction'):
        assert math.isfinite(fid[key]) and fid[key] >= 0, (key, fid[key])      # a distance: finite and not negative
    # the report's fidelity table shows the very figures and counts of metrics.json
    assert f"| synthetic | {fid['FID']:.2f} ({fid['FID_frames']['synthetic']} frames) | {fid['FVD16']:.2f} ({fid['FVD16_clips']['synthetic']} clips) |" in report
    assert fid['FID_frames']['vae_reconstruction'] == fid['FID_frames']['real'] and fid['FVD16_clips']['vae_reconstruction'] == fid['FVD16_clips']['real']
    assert metrics['privacy']['n_kept'] >= 16 and set(metrics['downstream']) == {'ASD', 'PAH'}
    for task, d in metrics['downstream'].items():    # scored, or said why not (a class the privacy filter left no video of)
        assert d['synthetic'] is not None or 'video to train the' in d['synthetic_not_trained'], d
    assert '## Usefulness' in (run/'report.md').read_text() and (run/'figures/mosaic.gif').is_file()


def test_the_report_opens_with_a_row_for_every_target_of_the_claim(smoke):
    "On the smoke run, whose figures mean nothing: every target has its row, with a figure, the target and met or not."
    run, _, _ = smoke
    metrics, report = json.loads((run/'metrics.json').read_text()), (run/'report.md').read_text()
    claim = report.split('## The claim')[1].split('\n## ')[0]
    sections = [c['section'] for c in metrics['claims']]
    assert sections == ['time', 'VAE', 'VAE', 'VAE', 'fidelity', 'fidelity', 'motion'] + ['usefulness'] * 6 + ['privacy'] * 11 + ['looks'], sections
    for c in metrics['claims']:
        assert f"| {c['section']} | {c['claim']} |" in claim and c['value'] is not None, c
    assert metrics['claims'][0]['met'] is True and 0 < metrics['run']['seconds'] < 3600        # the time: the run's own stages
    assert all(metrics['run']['stage_seconds'][s] > 0 for s in STAGES)
    assert {c['claim'].split(': ')[-1] for c in metrics['claims'] if c['section'] == 'privacy'} >= {'exact copy', 'copy + noise', 'copy, shifted', 'copy, brighter'}


def test_the_proof_profile_plans_all_seven_stages(tmp_path):
    "The proof profile fits every stage notebook and the proof profile of every stage's configuration; a plan names all seven stages and runs nothing."
    from cardiac_nb.core import load_config
    r = subprocess.run([PIPELINE, '--profile', 'proof', '--out', str(tmp_path/'proof'), '--plan'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert [l.split()[1] for l in lines] == STAGES and all('run: ' in l and 'seed=0' in l for l in lines), lines
    assert 'videos_per_class=50' in lines[0] and 'profile=proof' in lines[1] and not (tmp_path/'proof').exists()
    for stage in ('vae', 'lidm', 'privacy', 'lvdm', 'evaluate'):   # what each stage notebook loads at that profile
        assert load_config(ROOT/f'configs/{stage}/cardiacnet.yaml', profile='proof')


def test_a_finished_run_is_skipped_and_a_touched_output_redone(smoke, tmp_path):
    run, _, _ = smoke
    again = pipeline(run, *SMOKE, '--stop_after', 'privacy', timeout=600)
    assert again.returncode == 0 and again.stdout.count('done earlier') == 4, again.stdout + again.stderr
    before = stages_of(run)
    (run/'models/reidentification_cardiacnet/threshold.json').unlink()   # a damaged output
    redo = pipeline(run, *SMOKE, '--stop_after', 'privacy', timeout=900)
    assert redo.returncode == 0 and 'privacy   running 04_privacy.ipynb (models/reidentification_cardiacnet/threshold.json is missing)' in redo.stdout, redo.stdout + redo.stderr
    after = stages_of(run)
    assert [after[s] == before[s] for s in STAGES[:3]] == [True] * 3 and after['privacy']['started'] != before['privacy']['started']
    assert 'lvdm' not in after                         # made from the old re-identification model: no longer counted as done


def test_bad_profile_key_is_named_and_nothing_is_written(tmp_path):
    bad = tmp_path/'bad.yaml'
    bad.write_text('parameters: {profile: smoke}\nstages: {lidm: {epoch: 3}}\n')
    r = pipeline(tmp_path/'run', '--profile', str(bad))
    assert r.returncode == 2 and "stages.lidm.epoch: 03_lidm.ipynb has no parameter 'epoch'" in r.stderr, r.stderr
    assert not (tmp_path/'run').exists()
    r = pipeline(tmp_path/'run', '--profile', 'smoke', '--force', 'vea')
    assert r.returncode == 2 and "unknown stage 'vea'" in r.stderr


def test_training_stages_train_under_a_launcher(tmp_path):
    "With --launch, the VAE stage trains with cardiac-vae-train under accelerate first; its notebook finds the model and checks it."
    run = tmp_path/'run'
    r = pipeline(run, '--profile', 'smoke', '--stop_after', 'vae', '--launch', 'accelerate launch --cpu --num_processes 1', timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert 'accelerate launch --cpu --num_processes 1' in r.stdout and 'cardiac-vae-train --config' in r.stdout
    assert 'resuming after epoch 2' in (run/'02_vae.ipynb').read_text()       # the notebook found it trained: no epoch left
    info = json.loads((run/'run.json').read_text())
    assert info['launch'] == 'accelerate launch --cpu --num_processes 1' and info['stages']['vae']['status'] == 'done'
