"""Write README.md from nbs/index.ipynb without Quarto (which `nbdev_readme` needs and these machines lack).

Markdown cells are copied (image paths made relative to the repository root); code cells are shown unless hidden (`#| hide`), with their `#|` directives removed.
scripts/test.sh runs this and fails if README.md changes, so the two stay in step."""
import json
from pathlib import Path

root = Path(__file__).resolve().parent.parent
cells = json.loads((root / 'nbs/index.ipynb').read_text())['cells']
parts = ['<!-- generated from nbs/index.ipynb by scripts/readme.py: edit the notebook, not this file -->']
for cell in cells:
    src = ''.join(cell['source'])
    if cell['cell_type'] == 'markdown': parts.append(src.replace('](images/', '](nbs/images/'))
    elif cell['cell_type'] == 'code':
        lines = src.splitlines()
        if any(l.strip().startswith('#|') and 'hide' in l for l in lines): continue
        code = '\n'.join(l for l in lines if not l.strip().startswith('#|')).strip()
        if code: parts.append(f'```python\n{code}\n```')
(root / 'README.md').write_text('\n\n'.join(parts) + '\n')
