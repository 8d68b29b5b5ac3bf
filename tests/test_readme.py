"""Every Python snippet of the README, pasted in order into one script, runs (issue 19).

No ``if __name__ == "__main__":`` guard: chains are threads and parallel work uses
joblib's loky workers, which do not re-import the script. Budgets are the README's own,
except ``n_draws`` shrunk where a snippet asks for thousands (the same code, less work).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_snippets_run_as_one_script(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text()
    snippets = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(snippets) >= 4
    body = "\n".join(textwrap.dedent(s) for s in snippets)
    body = re.sub(r"n_draws=\d{4,}", "n_draws=300", body)
    (tmp_path / "datasets").symlink_to(ROOT / "datasets")
    script = tmp_path / "readme.py"
    script.write_text("import matplotlib\nmatplotlib.use('Agg')\n" + body)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=900,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": ""})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert (tmp_path / "post.npz").exists() and (tmp_path / "audit.html").exists()
