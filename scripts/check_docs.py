"""Check the documentation site without Quarto, and render a preview of it.

nbdev builds the site in two steps: it processes the notebooks into `_proc/` (adding a `show_doc` cell after
every exported function and class, and running the exported cells, the import cells and the `show_doc` cells
to fill them in), then Quarto renders `_proc/` into `_docs/`. Quarto is not installable on these machines, so
this script runs the first step exactly as `nbdev_proc_nbs` does (minus its attempt to download Quarto) and
checks what can be checked of the second:

1. `_quarto.yml` (top level) and `nbs/_quarto.yml` (nbdev's copy) are the same file, and the files it names exist;
   `nbs/sidebar.yml` lists every notebook in stage order, as `nbdev_sidebar` writes it.
2. No cell that nbdev runs at docs time does anything but import: a cell mixing imports with other code
   (training a model, writing a phantom) would run during the docs build. `--split-imports` fixes such cells by
   moving their imports into a cell of their own just above them.
3. `nbdev_proc_nbs` succeeds and `_proc/` holds a processed page for every notebook.
4. Every exported function and class has a rendered `show_doc` in its notebook's processed page.
5. A preview of the site is rendered from `_proc/_quarto.yml` with smalldocs (pure Python) into `_docs_preview/`;
   every internal link in it (relative links, and absolute links to the site's own address that nbdev writes
   for names in backticks) resolves to a page, and its `#anchor` to an id on that page.
6. Where Chromium is on the PATH (Debian's `chromium`), screenshots of the index and one stage page are saved
   into `docs-preview/`; elsewhere this step says it is skipped.

Usage: `python scripts/check_docs.py` (all steps), `--split-imports` (fix the notebooks, then stop),
`--no-proc` (reuse `_proc/`), `--no-shots` (no screenshots)."""
import argparse, ast, hashlib, json, os, re, shutil, subprocess, sys, time, warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, unquote

root = Path(__file__).resolve().parent.parent
problems = []
def fail(msg): problems.append(msg); print(f'  FAIL: {msg}')
def step(msg): print(f'-- {msg}', flush=True)

def notebooks():
    "The notebooks nbdev documents, as paths relative to nbs/ (folders starting with `_` or `.` skipped)."
    from nbdev.doclinks import nbglob
    return sorted(Path(p).relative_to(root/'nbs') for p in nbglob(root/'nbs', skip_folder_re=r'(?:^[_.]|^www\$)'))

def page_name(nb):
    "The HTML page nbdev makes of a notebook: `02_vae.ipynb` -> `vae.html`."
    from nbdev.doclinks import _nbpath2html
    return str(_nbpath2html(Path(nb)))

# ---- 1. the Quarto project files
def check_quarto_files():
    import yaml
    step('_quarto.yml and sidebar')
    top, nbs = root/'_quarto.yml', root/'nbs/_quarto.yml'
    if not top.exists(): return fail('_quarto.yml is missing at the top level (keep it a link to nbs/_quarto.yml)')
    if top.read_bytes() != nbs.read_bytes():
        fail('_quarto.yml differs from nbs/_quarto.yml, the copy nbdev renders: make it a link (ln -sf nbs/_quarto.yml _quarto.yml)')
    cfg = yaml.safe_load(nbs.read_text())
    for f in cfg.get('metadata-files', []) + [cfg.get('format', {}).get('html', {}).get('css', 'styles.css')]:
        if not (root/'nbs'/f).exists(): fail(f'nbs/_quarto.yml names {f}, which is not in nbs/')
    want = [str(nb) for nb in notebooks()]
    want = sorted(want, key=lambda n: '' if Path(n).stem == 'index' else n)
    side = yaml.safe_load((root/'nbs/sidebar.yml').read_text())['website']['sidebar']['contents']
    if side != want:
        fail(f'nbs/sidebar.yml lists {side}, but the notebooks in stage order are {want}: '
             'run `nbdev_sidebar` (this script runs it, through nbdev_proc_nbs) and commit nbs/sidebar.yml')
    print(f'  sidebar: {" > ".join(Path(n).stem for n in side)}')

# ---- 2. cells that nbdev runs at docs time
def _docs_cells(path):
    "The code cells of a notebook that nbdev's `exec_show_docs` runs, as (index, cell)."
    from nbdev.process import NBProcessor
    from nbdev.processors import _do_eval
    nb = NBProcessor(path).nb
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == 'code' and _do_eval(c)]

_export_dirs = {'export', 'exports', 'exporti', 'exec_doc'}
def _is_show_doc(node): return isinstance(node, ast.Expr) and getattr(getattr(node.value, 'func', None), 'id', None) == 'show_doc'
def _mixed(cell):
    "Does a cell that nbdev runs at docs time do more than import and `show_doc`?"
    if cell.directives_.keys() & _export_dirs: return False
    body = ast.parse('\n'.join(l for l in cell.source.splitlines() if not l.lstrip().startswith(('%', '!')))).body
    return not all(isinstance(n, (ast.Import, ast.ImportFrom)) or _is_show_doc(n) for n in body)

def mixed_cells():
    return [(nb, i, c) for nb in notebooks() for i, c in _docs_cells(root/'nbs'/nb) if _mixed(c)]

def check_mixed_cells():
    step('cells that the docs build would run')
    for nb, i, c in mixed_cells():
        fail(f'nbs/{nb} cell {i} mixes imports with other code, so the docs build runs all of it '
             f'(nbdev runs every cell that imports): run `python scripts/check_docs.py --split-imports`\n'
             + ''.join(f'      | {l}\n' for l in c.source.splitlines()[:4]))

def _split(src):
    "Split a cell's source into (directives + imports, directives + the rest)."
    lines = src.split('\n')
    dirs = [l for l in lines if l.startswith('#|')]
    tree = ast.parse(src)
    imports, cut = [], []   # import statements, and the (line, start col, end col) spans to remove
    for n in tree.body:
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            imports.append(ast.get_source_segment(src, n))
            cut.append((n.lineno - 1, n.end_lineno - 1, n.col_offset, n.end_col_offset))
    for l0, l1, c0, c1 in reversed(cut):
        if l0 == l1:
            line = lines[l0]
            rest = (line[:c0] + re.sub(r'^\s*;\s*', '', line[c1:])).rstrip()
            rest = re.sub(r';\s*$', '', rest)
            if rest.strip(): lines[l0] = rest
            else: del lines[l0]
        else: del lines[l0:l1 + 1]
    body = [l for l in lines if not l.startswith('#|')]
    while body and not body[0].strip(): body.pop(0)
    return '\n'.join(dirs + imports), '\n'.join(dirs + body)

def split_imports():
    "Move the imports of every mixed cell into a new cell just above it (the cell's directives on both)."
    todo = {}
    for nb, i, c in mixed_cells(): todo.setdefault(nb, []).append(i)
    for nb, idxs in todo.items():
        path = root/'nbs'/nb
        raw = json.loads(path.read_text())
        for i in sorted(idxs, reverse=True):
            cell = raw['cells'][i]
            imp, rest = _split(''.join(cell['source']))
            if imp.strip() == '\n'.join(l for l in imp.split('\n') if l.startswith('#|')).strip():
                print(f'  nbs/{nb} cell {i}: no top-level import to move; split it by hand'); continue
            cell['source'] = rest.splitlines(keepends=True)
            new = {'cell_type': 'code', 'execution_count': None,
                   'id': hashlib.sha1(f'{nb}{i}{imp}'.encode()).hexdigest()[:8], 'metadata': {}, 'outputs': [],
                   'source': imp.splitlines(keepends=True)}
            raw['cells'].insert(i, new)
            print(f'  nbs/{nb} cell {i}: imports moved into a cell of their own')
        path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + '\n')
    if todo: print('now run: nbdev_clean && nbdev_export, and nbdev_test on the notebooks changed')

# ---- 3. nbdev_proc_nbs
def proc_nbs(force=True):
    "Run `nbdev_proc_nbs` as nbdev does, without its attempt to install Quarto when Quarto is missing."
    import nbdev.quarto
    step('nbdev_proc_nbs (notebooks -> _proc/)')
    if not shutil.which('quarto'): nbdev.quarto._ensure_quarto = lambda: None
    t = time.time()
    written = ('nbs/sidebar.yml', 'nbs/nbdev.yml')   # nbdev writes these from the notebooks and settings.ini
    before = {f: (root/f).read_bytes() if (root/f).exists() else b'' for f in written}
    try: nbdev.quarto.nbdev_proc_nbs.__wrapped__(n_workers=2, force=force)
    except Exception as e: return fail(f'nbdev_proc_nbs failed: {type(e).__name__}: {e}')
    print(f'  processed in {time.time() - t:.0f}s')
    for f in written:
        if (root/f).read_bytes() != before[f]:
            fail(f'nbdev_proc_nbs rewrote {f} (from the notebooks in nbs/ and settings.ini): commit the new {f}')

def check_pages():
    step('a processed page for every notebook')
    for nb in notebooks():
        if not (root/'_proc'/nb).exists(): fail(f'_proc/{nb} is missing: nbdev_proc_nbs did not process nbs/{nb}')
    for f in ('_quarto.yml', 'sidebar.yml', 'nbdev.yml', 'styles.css'):
        if not (root/'_proc'/f).exists(): fail(f'_proc/{f} is missing')

# ---- 4. show_doc for every exported function and class
def exported_defs():
    "{notebook: [names]}: the functions and classes in each module's `__all__`, by the notebook that defines them."
    found = {}
    for py in sorted((root/'cardiac_nb').glob('*.py')):
        src = py.read_text()
        tree = ast.parse(src)
        names = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                      and getattr(n.targets[0], 'id', None) == '__all__'), [])
        marks = [(m.start(), m.group(1)) for m in re.finditer(r'^# %% \.\./nbs/(\S+\.ipynb)', src, re.M)]
        starts = [sum(len(l) + 1 for l in src.split('\n')[:n.lineno - 1]) for n in tree.body]
        for n, pos in zip(tree.body, starts):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name in names:
                nb = [m for p, m in marks if p <= pos]
                if nb: found.setdefault(nb[-1], []).append(n.name)
    return found

def _shown(path):
    "The names whose `show_doc` rendered (a markdown heading naming them) in a processed notebook."
    shown = set()
    for c in json.loads(Path(path).read_text())['cells']:
        if c['cell_type'] != 'code' or 'show_doc(' not in ''.join(c['source']): continue
        for o in c.get('outputs', []):
            md = ''.join(o.get('data', {}).get('text/markdown', ''))
            shown.update(re.findall(r'^#{2,4} +([\w.]+)', md, re.M))
    return shown

def check_show_docs():
    step('show_doc for every exported function and class')
    n = 0
    for nb, names in exported_defs().items():
        page = root/'_proc'/nb
        if not page.exists(): continue
        shown = _shown(page)
        missing = [nm for nm in names if nm not in shown]
        n += len(names) - len(missing)
        for nm in missing:
            fail(f'{nm} (exported from nbs/{nb}) has no rendered show_doc: its export cell is hidden (`#| hide`) '
                 f'or its show_doc did not run; add a `show_doc({nm})` cell after the cell that defines it')
    print(f'  {n} exported functions and classes documented')

# ---- 5. the preview, and its links
def render_preview():
    "Render `_proc/` with smalldocs into `_docs_preview/`, naming pages as Quarto does (`02_vae.ipynb` -> `vae.html`)."
    step('preview of the site (smalldocs, from _proc/_quarto.yml) -> _docs_preview/')
    from smalldocs.config import load
    from smalldocs.site import Site
    out = root/'_docs_preview'
    site = Site(load(root/'_proc'), quiet=True)
    site.out = out
    try: site.build()
    except Exception as e: return fail(f'smalldocs could not render _proc/: {type(e).__name__}: {e}')
    ignored = re.compile(r'format commonmark|keep-md|output-file is not read')   # Quarto-only options nbdev sets
    for w in site.warnings:
        if not ignored.search(w): print(f'  smalldocs: {w}')
    # smalldocs ignores the `output-file` nbdev writes into each page's front matter: give the pages Quarto's names
    names = {Path(nb).with_suffix('.html').as_posix(): page_name(nb) for nb in notebooks()}
    for old, new in names.items():
        if old != new and (out/old).exists(): (out/old).replace(out/new)
    site_url = _site_url()
    for html in out.rglob('*.html'):
        if 'site_libs' in html.parts: continue
        text = html.read_text()
        for old, new in names.items(): text = re.sub(rf'(href=")({re.escape(old)})(["#])', rf'\g<1>{new}\3', text)
        html.write_text(text)
    print(f'  {len(names)} pages: {", ".join(sorted(names.values()))}')
    return out

def _site_url():
    import yaml
    return yaml.safe_load((root/'nbs/nbdev.yml').read_text())['website']['site-url'].rstrip('/') + '/'

class _Links(HTMLParser):
    def __init__(self):
        super().__init__(); self.ids, self.links = set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        for k in ('href', 'src'):
            if a.get(k) and tag in ('a', 'img', 'link', 'script', 'source', 'video'): self.links.append(a[k])

def check_links(out):
    "Every internal link of the preview resolves to a file, and its #anchor to an id on that page."
    step('internal links of the preview')
    site_url = _site_url()
    pages = {}
    for html in out.rglob('*.html'):
        if 'site_libs' in html.parts: continue
        p = _Links(); p.feed(html.read_text()); pages[html] = p
    n = bad = 0
    for html, p in pages.items():
        for link in p.links:
            if link.startswith(site_url): link = link[len(site_url):]
            elif re.match(r'^[a-z][a-z0-9+.-]*:', link, re.I) or link.startswith('//'): continue   # external, mailto:, data:
            parts = urlsplit(link)
            target = (html.parent/unquote(parts.path)).resolve() if parts.path else html
            n += 1
            if target.is_dir(): target = target/'index.html'
            if not target.exists():
                bad += 1; fail(f'{html.relative_to(out)}: link {link!r} points to {unquote(parts.path)}, which is not in the site'); continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == '.html':
                ids = pages[target].ids if target in pages else set()
                if frag not in ids: bad += 1; fail(f'{html.relative_to(out)}: link {link!r}: no id {frag!r} on {target.name}')
    print(f'  {n} internal links checked, {bad} broken')

# ---- 6. screenshots
def chromium():
    "Chromium on the PATH (`$CHROMIUM` first, then Debian's `chromium` and its other names), or None."
    for name in (os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'):
        if name and shutil.which(name): return shutil.which(name)

def headless_flags(profile): # a fresh, empty folder for the browser's profile
    "Flags for a headless Chromium that reaches out to no network service and leaves the user's profile alone."
    return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync', f'--user-data-dir={profile}']

def screenshots(out, pages=('index.html', 'vae.html')):
    step('screenshots of the preview (headless Chromium) -> docs-preview/')
    exe = chromium()
    if not exe:
        print('  SKIPPED: no Chromium on the PATH (chromium, chromium-browser, google-chrome); install Debian\'s '
              '`chromium` (apt-get install chromium) to get docs-preview/*.png')
        return
    shots = root/'docs-preview'; shots.mkdir(exist_ok=True)
    import tempfile
    for page in pages:
        if not (out/page).exists(): page = next(iter(sorted(p.name for p in out.glob('*.html') if p.name != 'index.html')), None)
        if page is None: continue
        png = shots/page.replace('.html', '.png')
        with tempfile.TemporaryDirectory() as profile:
            cmd = [exe, *headless_flags(profile), '--hide-scrollbars', '--window-size=1280,1400', '--virtual-time-budget=3000',
                   f'--screenshot={png}', (out/page).as_uri()]
            if png.exists(): png.unlink()
            try: subprocess.run(cmd, capture_output=True, timeout=60)
            except subprocess.TimeoutExpired: pass
        if png.exists() and png.stat().st_size > 0: print(f'  {png.relative_to(root)} ({png.stat().st_size // 1024} KiB)')
        else: fail(f'{exe} wrote no screenshot of {page}: run `{" ".join(cmd)}` to see why')

# ---- with Quarto: the real build
def quarto_build():
    step('nbdev_docs (Quarto is on the PATH)')
    readme = (root/'README.md').read_bytes()   # nbdev_docs also rewrites README.md with Quarto; ours comes from scripts/readme.py
    try: r = subprocess.run([str(Path(sys.executable).parent/'nbdev_docs'), '--n_workers', '2'], capture_output=True, text=True)
    finally: (root/'README.md').write_bytes(readme)
    if r.returncode: return fail(f'nbdev_docs failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}')
    for nb in notebooks():
        if not (root/'_docs'/page_name(nb)).exists(): fail(f'nbdev_docs wrote no _docs/{page_name(nb)} for nbs/{nb}')

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--split-imports', action='store_true', help='move imports out of mixed cells in nbs/, then stop')
    ap.add_argument('--no-proc', action='store_true', help='reuse _proc/ as it is')
    ap.add_argument('--no-shots', action='store_true', help='take no screenshots')
    args = ap.parse_args()
    os.chdir(root)
    if args.split_imports: return split_imports()
    t = time.time()
    check_mixed_cells()
    if not args.no_proc: proc_nbs()
    check_quarto_files()   # after nbdev_proc_nbs, which writes nbs/sidebar.yml with nbdev_sidebar
    check_pages()
    check_show_docs()
    out = render_preview()
    if out:
        check_links(out)
        if not args.no_shots: screenshots(out)
    if shutil.which('quarto'): quarto_build()
    else: print('-- nbdev_docs: skipped, Quarto is not on the PATH (the deploy workflow runs it)')
    print(f'docs check: {len(problems)} problem(s) in {time.time() - t:.0f}s')
    sys.exit(1 if problems else 0)

if __name__ == '__main__': main()
