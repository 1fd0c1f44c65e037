"""A stage notebook in JupyterLab, as a researcher runs it: opened from `nbs/`, run top to bottom with its defaults.

One JupyterLab server (127.0.0.1, a token, no browser; the user's Jupyter config, settings and workspaces kept out,
autosave off, checkpoints in a temporary folder) serves two checks on `nbs/01_data.ipynb`:

- the kernel check (always runs): the server's default kernel is the project's ("Python 3 (cardiac_nb)", this venv's
  python) and the notebook names it; through the REST API and the kernel's websocket channels, every code cell runs in
  order, in `nbs/` as `nbdev_test` runs it, with no error output, and the plot comes back as a PNG;
- the browser check (where Chromium is on the PATH, else skipped): headless Chromium, driven over the DevTools
  protocol, opens the notebook in JupyterLab, runs it with the UI's Run All, finds every cell run and no error output,
  and saves a screenshot of the executed notebook with its plot to `docs-preview/jupyterlab.png`.

The server is stopped at the end, and must have left `nbs/` as it found it: the notebook byte for byte, no checkpoints."""
import json, os, re, secrets, signal, subprocess, time, uuid, urllib.error, urllib.request
from base64 import b64decode
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
import pytest, websocket
from conftest import BIN, ROOT, script

NB = 'nbs/01_data.ipynb'   # fast with its defaults: a small echo phantom in a temporary folder, and a preview plot
KERNEL = 'Python 3 (cardiac_nb)'   # the display name scripts/setup.sh gives the venv's kernel
SHOT = ROOT/'docs-preview/jupyterlab.png'
CELL_TIMEOUT, RUN_TIMEOUT = 300, 300   # seconds for one cell (kernel check), for Run All (browser check)


# ---- the server
class Lab:
    "A running JupyterLab server: its address and token, and a client for its REST API."
    def __init__(self, url, token): self.url, self.token = url, token

    def api(self, path, method='GET', body=None):
        "Call the server's REST API (`api/...`); the JSON answer, None for an empty one."
        req = urllib.request.Request(self.url + path, method=method, headers={'Authorization': f'token {self.token}'},
                                     data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(req, timeout=30) as r: answer = r.read()
        return json.loads(answer) if answer else None


def write_user_settings(folder):
    "JupyterLab settings for a check: no autosave (nothing written into nbs/), no news or update checks (no network)."
    settings = {'docmanager-extension/plugin': {'autosave': False},
                'apputils-extension/notification': {'fetchNews': 'false', 'checkForUpdates': False}}
    for plugin, values in settings.items():
        f = folder/f'@jupyterlab/{plugin}.jupyterlab-settings'
        f.parent.mkdir(parents=True, exist_ok=True); f.write_text(json.dumps(values))


def wait_ready(proc, runtime, token, log, timeout=60):
    "Wait until the server has written its address into `runtime` and answers GET /api/status; the `Lab`."
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None: pytest.fail(f'JupyterLab exited with {proc.returncode} on start; its log:\n{log.read_text()}')
        info = next(runtime.glob('jpserver-*.json'), None)   # the server's address, written once it has bound its port
        if info:
            try:
                lab = Lab(json.loads(info.read_text())['url'], token)
                if 'started' in lab.api('api/status'): return lab
            except (OSError, ValueError): pass   # the file half written, or the server not answering yet
        time.sleep(0.3)
    pytest.fail(f'JupyterLab did not answer GET /api/status within {timeout} s; its log:\n{log.read_text()}')


def stop_server(proc, timeout=30):
    "Stop the server (on SIGTERM it shuts its kernels down and exits), killing it and its process group if it hangs."
    proc.terminate()
    try: proc.wait(timeout)
    except subprocess.TimeoutExpired: proc.kill(); proc.wait()
    try: os.killpg(proc.pid, signal.SIGKILL)   # a kernel the server failed to shut down
    except ProcessLookupError: pass


def nb_traces():
    "What a JupyterLab session could leave beside the notebook: the notebook's bytes; files named after it, checkpoint folders."
    nb = ROOT/NB
    return nb.read_bytes(), {p for p in nb.parent.rglob('*') if p != nb and (nb.stem in p.name or p.name == '.ipynb_checkpoints')}


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    "JupyterLab serving the repository, isolated from the user's Jupyter config and state; stopped at the end."
    tmp = tmp_path_factory.mktemp('jupyter')
    write_user_settings(tmp/'user-settings')
    token, log = secrets.token_hex(16), tmp/'server.log'
    (tmp/'tmp').mkdir()   # TMPDIR of the kernels: the notebook's temporary run folders go with the test's, not into /tmp
    # JUPYTER_DATA_DIR stays the user's: the kernels the server finds are those the user's JupyterLab finds
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(tmp/'config'), 'JUPYTER_RUNTIME_DIR': str(tmp/'runtime'), 'TMPDIR': str(tmp/'tmp')}
    cmd = [BIN/'jupyter', 'lab', '--no-browser', '--ServerApp.ip=127.0.0.1', '--ServerApp.port=0',  # 0: a free port
           '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={ROOT}',
           '--ServerApp.allow_root=True',   # CI containers run as root
           '--LabApp.expose_app_in_browser=True',   # window.jupyterapp, for the browser check to run the UI's commands
           f'--LabApp.user_settings_dir={tmp/"user-settings"}', f'--LabApp.workspaces_dir={tmp/"workspaces"}',
           f'--FileCheckpoints.checkpoint_dir={tmp/"checkpoints"}']   # JupyterLab checkpoints a notebook when it opens it
    before = nb_traces()
    with open(log, 'w') as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try: yield wait_ready(proc, tmp/'runtime', token, log)
    finally: stop_server(proc)
    after = nb_traces()
    assert after[0] == before[0], f'the JupyterLab session changed {NB} (saved it?): restore it with `git checkout {NB}`'
    assert after[1] <= before[1], f'the JupyterLab session left files beside {NB}: {sorted(map(str, after[1] - before[1]))}'


# ---- the kernel check: REST and kernel channels
def strip_ansi(text): return re.sub(r'\x1b\[[0-9;]*m', '', text)

def cell_error(i, err):
    "A message naming the notebook cell that failed, its error and its traceback (which shows the failing lines)."
    return f'{NB} cell {i} raised {err["ename"]}: {err["evalue"]}\n' + strip_ansi('\n'.join(err.get('traceback', [])))


def execute(ws, code, session):
    "Run `code` in the kernel behind a channels websocket: the execute_reply's content and the outputs, as in a notebook."
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({'channel': 'shell', 'parent_header': {}, 'metadata': {}, 'buffers': [],
        'header': {'msg_id': msg_id, 'msg_type': 'execute_request', 'session': session, 'username': 'test',
                   'date': datetime.now(timezone.utc).isoformat(), 'version': '5.3'},
        'content': {'code': code, 'silent': False, 'store_history': True, 'user_expressions': {}, 'allow_stdin': False,
                    'stop_on_error': True}}))
    reply, outputs, idle, deadline = None, [], False, time.time() + CELL_TIMEOUT
    while reply is None or not idle:   # the reply comes on shell, the outputs and the final idle on iopub
        ws.settimeout(max(deadline - time.time(), 0.1))
        try: frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            pytest.fail(f'no answer from the kernel within {CELL_TIMEOUT} s to:\n{code[:500]}')
        if isinstance(frame, bytes): continue   # messages with binary buffers (widget comms), never outputs
        msg = json.loads(frame)
        if msg['parent_header'].get('msg_id') != msg_id: continue
        kind = msg['header']['msg_type']
        if kind == 'execute_reply': reply = msg['content']
        elif kind == 'status': idle = msg['content']['execution_state'] == 'idle'
        elif kind in ('stream', 'display_data', 'execute_result', 'error'): outputs.append({'output_type': kind, **msg['content']})
    return reply, outputs


def test_kernel_runs_stage_notebook_from_nbs(lab):
    with pytest.raises(urllib.error.HTTPError, match='403'):   # the token is required
        urllib.request.urlopen(lab.url + 'api/status', timeout=30)
    specs = lab.api('api/kernelspecs')
    assert specs['default'] == 'python3', f'JupyterLab would start kernel {specs["default"]!r} by default, not python3'
    spec = specs['kernelspecs']['python3']['spec']
    assert spec['display_name'] == KERNEL and Path(spec['argv'][0]).parent == BIN, (
        f'kernel python3 is {spec["display_name"]!r} running {spec["argv"][0]}, not {KERNEL!r} running {BIN}/python: '
        'run scripts/setup.sh (it installs the venv\'s kernel) or remove the kernel that shadows it (`jupyter kernelspec list`)')
    nb = json.loads((ROOT/NB).read_text())
    assert nb['metadata']['kernelspec']['name'] == 'python3', f'{NB} names kernel {nb["metadata"]["kernelspec"]["name"]!r}'

    session = lab.api('api/sessions', 'POST', {'path': NB, 'name': Path(NB).name, 'type': 'notebook', 'kernel': {'name': 'python3'}})
    ws = None
    try:
        ws = websocket.create_connection(
            lab.url.replace('http', 'ws', 1) + f'api/kernels/{session["kernel"]["id"]}/channels?token={lab.token}', timeout=60)
        _, outputs = execute(ws, "__import__('os').getcwd()", session['id'])
        cwd = outputs[-1]['data']['text/plain']
        assert cwd == repr(str((ROOT/NB).parent)), f'the kernel runs in {cwd}, not in the notebook\'s folder as nbdev_test does'
        images = 0
        for i, cell in enumerate(nb['cells']):
            if cell['cell_type'] != 'code': continue
            reply, outputs = execute(ws, ''.join(cell['source']), session['id'])
            err = next((o for o in outputs if o['output_type'] == 'error'), reply if reply['status'] != 'ok' else None)
            if err: pytest.fail(cell_error(i, err))
            images += sum('image/png' in o.get('data', {}) for o in outputs)
        assert images, f'{NB} ran, but no cell displayed a plot (no image/png output)'
    finally:
        if ws: ws.close()
        lab.api(f'api/sessions/{session["id"]}', 'DELETE')


# ---- the browser check: headless Chromium over the DevTools protocol
check_docs = script('check_docs')   # the one home of the Chromium finder and its headless flags

class Page:
    "A browser tab driven over the Chrome DevTools Protocol."
    def __init__(self, ws_url):
        self.ws, self.n = websocket.create_connection(ws_url, timeout=60, suppress_origin=True), 0   # Chromium refuses other origins

    def send(self, method, **params):
        "Call a DevTools method; its result."
        self.n += 1
        self.ws.send(json.dumps({'id': self.n, 'method': method, 'params': params}))
        while (msg := json.loads(self.ws.recv())).get('id') != self.n: pass   # no domain is enabled: only stray events
        if 'error' in msg: raise RuntimeError(f'{method}: {msg["error"]}')
        return msg['result']

    def eval(self, js):
        "The value of a JavaScript expression in the page (promises awaited)."
        r = self.send('Runtime.evaluate', expression=js, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in r: raise AssertionError(f'JavaScript failed in the page: {r["exceptionDetails"]}\n{js}')
        return r['result'].get('value')

    def wait_for(self, js, timeout, what):
        "Poll a JavaScript expression until it is true; fail saying what did not happen in time."
        deadline = time.time() + timeout
        while not self.eval(js):
            if time.time() > deadline: pytest.fail(f'{what}: not within {timeout} s')
            time.sleep(0.5)


@contextmanager
def chromium_page(exe, url, profile):
    "Headless Chromium showing `url`, as a `Page`; the browser is killed on the way out."
    cmd = [exe, *check_docs.headless_flags(profile), '--remote-debugging-port=0', '--window-size=1400,1100', url]
    log = profile.parent/'chromium.log'
    with open(log, 'w') as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        port_file, deadline = profile/'DevToolsActivePort', time.time() + 30   # Chromium writes its port there
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f'{exe} did not start its DevTools server; its log:\n{log.read_text()[-3000:]}')
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list', timeout=10) as r:
            tab = next(t for t in json.load(r) if t['type'] == 'page')
        page = Page(tab['webSocketDebuggerUrl'])
        try: yield page
        finally: page.ws.close()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)   # the browser and its renderer processes
        proc.wait()


PANEL = f"[...window.jupyterapp.shell.widgets('main')].find(w => w.context?.path === '{NB}')"   # the notebook's panel
OPENED = f"""(() => {{ const p = window.jupyterapp && {PANEL};
  return !!(p && p.context.isReady && p.sessionContext.session?.kernel?.status === 'idle'); }})()"""
RUN_ALL = f"""(() => {{ const p = {PANEL}; window.jupyterapp.shell.activateById(p.id); window.ranAll = undefined;
  window.jupyterapp.commands.execute('notebook:run-all-cells')
    .then(ok => window.ranAll = {{ok}}, e => window.ranAll = {{error: String(e)}});
  return p.sessionContext.kernelDisplayName; }})()"""
RAN = f"window.ranAll !== undefined && {PANEL}.sessionContext.session?.kernel?.status === 'idle'"
CELLS = f"""(() => {{ const p = {PANEL};
  return {{ran: window.ranAll,
    busyPrompts: [...p.node.querySelectorAll('.jp-InputPrompt')].filter(e => e.textContent.includes('*')).length,
    cells: p.content.widgets.map(c => ({{type: c.model.type, count: c.model.type === 'code' ? c.model.executionCount : null,
      outputs: c.model.type === 'code' ? c.model.outputs.toJSON().map(o => ({{output_type: o.output_type, ename: o.ename,
        evalue: o.evalue, traceback: o.traceback, mimes: Object.keys(o.data || {{}})}})) : []}}))}}; }})()"""
SHOW_PLOT = f"""(() => {{ const img = {PANEL}.node.querySelector('.jp-OutputArea-output img'), cell = img.closest('.jp-Cell');
  cell.scrollIntoView({{block: 'start'}});   // again until it holds: the cells above take their height as they render
  const r = img.getBoundingClientRect(), view = cell.closest('.jp-WindowedPanel-outer').getBoundingClientRect();
  return img.complete && img.naturalWidth > 0 && r.top >= view.top && r.bottom <= view.bottom; }})()"""   # prompt, code, plot


def test_jupyterlab_runs_stage_notebook_in_browser(lab, tmp_path):
    exe = check_docs.chromium()
    if not exe: pytest.skip("no Chromium on the PATH (chromium, chromium-browser, google-chrome): the browser check is "
                            "skipped; install Debian's `chromium` (apt-get install chromium) to run it")
    try:
        with chromium_page(exe, f'{lab.url}lab/tree/{NB}?token={lab.token}', tmp_path/'profile') as page:
            page.wait_for(OPENED, 120, f'JupyterLab opening {NB} with an idle kernel')
            kernel = page.eval(RUN_ALL)
            assert kernel == KERNEL, f'JupyterLab opened {NB} with kernel {kernel!r}, not the project\'s {KERNEL!r}'
            page.wait_for(RAN, RUN_TIMEOUT, f'Run All on {NB} finishing')
            state = page.eval(CELLS)
            for i, cell in enumerate(state['cells']):
                err = next((o for o in cell['outputs'] if o['output_type'] == 'error'), None)
                if err: pytest.fail('In JupyterLab: ' + cell_error(i, err))
            assert state['ran'] == {'ok': True}, f'Run All on {NB} did not succeed: {state["ran"]}'
            not_run = [i for i, c in enumerate(state['cells']) if c['type'] == 'code' and c['count'] is None]
            assert not not_run and not state['busyPrompts'], (
                f'Run All left cells {not_run} of {NB} unrun ({state["busyPrompts"]} prompts show [*])')
            assert any('image/png' in o['mimes'] for c in state['cells'] for o in c['outputs']), (
                f'{NB} ran in JupyterLab, but no cell shows a plot (no image/png output)')
            page.wait_for(SHOW_PLOT, 30, 'the first plot scrolled into view')
            SHOT.write_bytes(b64decode(page.send('Page.captureScreenshot', format='png')['data']))
    finally:   # the kernel JupyterLab started for the page
        for s in lab.api('api/sessions'):
            if s['path'] == NB: lab.api(f'api/sessions/{s["id"]}', 'DELETE')
