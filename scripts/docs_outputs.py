"""Put the outputs of executed notebooks into nbs/ for the docs build, without committing them.

The notebooks are committed without outputs, and `nbdev_docs` runs nothing but exported cells, imports and
`show_doc`: the plots and tables on the site come from outputs saved in the notebooks it processes. This script
brings them in from executed copies of the notebooks, matching cells by id:

    python scripts/docs_outputs.py --execute           # run each notebook (papermill, default = smoke-sized parameters) into runs/docs/
    python scripts/docs_outputs.py --from runs/smoke   # or take the notebooks a pipeline run executed (issue 8)

then merges their outputs into nbs/*.ipynb. The deploy workflow does this on its throwaway checkout before
`nbdev_docs`; on a developer's checkout, `git checkout nbs` drops the outputs again (scripts/test.sh fails while
they are there, since `nbdev_clean` no longer matches what is committed). Outputs larger than `--max_kb` are left
out, so a page never carries a video-sized blob."""
import argparse, json, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def execute(nb, out_dir):
    "Run one notebook with its default parameters, in nbs/ as nbdev_test does; return the executed copy."
    out = out_dir/nb.name
    r = subprocess.run([sys.executable, '-m', 'papermill', str(nb), str(out), '--cwd', str(nb.parent),
                        '--kernel', 'python3', '--log-level', 'WARNING'], capture_output=True, text=True)
    if r.returncode: print(f'{nb.name}: papermill failed; its outputs so far are kept\n{r.stderr[-2000:]}')
    return out

def merge(src_nb, dst_nb, max_kb):
    "Copy outputs and execution counts from `src_nb` into the cells of `dst_nb` with the same id."
    src = {c.get('id'): c for c in json.loads(src_nb.read_text())['cells'] if c['cell_type'] == 'code'}
    dst = json.loads(dst_nb.read_text())
    n = dropped = 0
    for c in dst['cells']:
        if c['cell_type'] != 'code' or c.get('id') not in src: continue
        outs = []
        for o in src[c['id']].get('outputs', []):
            if len(json.dumps(o)) > max_kb * 1024: dropped += 1; continue
            outs.append(o)
        c['outputs'], c['execution_count'] = outs, src[c['id']].get('execution_count')
        n += bool(outs)
    dst_nb.write_text(json.dumps(dst, indent=1, ensure_ascii=False) + '\n')
    print(f'{dst_nb.relative_to(root)}: outputs of {n} cells from {src_nb}' + (f' ({dropped} over {max_kb} KB left out)' if dropped else ''))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--execute', action='store_true', help='run every notebook in nbs/ into runs/docs/ first')
    g.add_argument('--from', dest='src', help='a folder of executed notebooks (e.g. runs/smoke)')
    ap.add_argument('--max_kb', type=int, default=1024, help='leave out any single output larger than this')
    ap.add_argument('notebooks', nargs='*', help='notebook names (default: all in nbs/)')
    args = ap.parse_args()
    nbs = [root/'nbs'/n for n in args.notebooks] or sorted((root/'nbs').glob('*.ipynb'))
    src_dir = Path(args.src) if args.src else root/'runs/docs'
    src_dir.mkdir(parents=True, exist_ok=True)
    for nb in nbs:
        src = execute(nb, src_dir) if args.execute else src_dir/nb.name
        if src.exists(): merge(src, nb, args.max_kb)
        else: print(f'{nb.relative_to(root)}: no executed copy in {src_dir}; its page shows no outputs')

if __name__ == '__main__': main()
