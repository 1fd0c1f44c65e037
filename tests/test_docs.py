"The docs check's own pieces (scripts/check_docs.py): splitting imports out of a cell, and the link checker."
from pathlib import Path
from conftest import script

check_docs = script('check_docs')


def test_split_moves_imports_keeps_directives_and_code():
    src = ("#| hide\nimport tempfile, json\nfrom fastcore.test import (test_eq,\n    test_fail)\n"
           "out = Path(tempfile.mkdtemp())\nimport pickle; test_eq(pickle.loads(pickle.dumps(1)), 1)\nx = 2  # done")
    imports, rest = check_docs._split(src)
    assert imports == ("#| hide\nimport tempfile, json\nfrom fastcore.test import (test_eq,\n    test_fail)\nimport pickle")
    assert rest == "#| hide\nout = Path(tempfile.mkdtemp())\ntest_eq(pickle.loads(pickle.dumps(1)), 1)\nx = 2  # done"
    # the two cells, run in order, do what the one did
    ns = {'Path': Path}
    exec(imports + '\n' + rest, ns)
    assert ns['x'] == 2 and ns['out'].is_dir()


def test_link_checker_finds_missing_pages_and_anchors(tmp_path, monkeypatch):
    site = check_docs._site_url()
    (tmp_path/'index.html').write_text(
        f'<h2 id="top">x</h2><a href="vae.html#load_vae">ok</a><a href="#top">ok</a><a href="{site}vae.html">ok</a>'
        '<a href="https://example.org/x.html">external</a><a href="gone.html">bad</a><a href="vae.html#nope">bad</a>'
        f'<a href="{site}lidm.html#sample">bad</a>')
    (tmp_path/'vae.html').write_text('<div id="load_vae"></div><img src="fig.png">')
    monkeypatch.setattr(check_docs, 'problems', [])
    check_docs.check_links(tmp_path)
    msgs = check_docs.problems
    assert len(msgs) == 4, msgs
    assert any("'gone.html'" in m for m in msgs) and any("no id 'nope'" in m for m in msgs)
    assert any("'lidm.html#sample'" in m for m in msgs) and any("'fig.png'" in m for m in msgs)
