"""The core package never imports Streamlit, so the CLI and other programs can use it without a web stack."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO_ROOT

PACKAGE_DIR = REPO_ROOT / "numpattern"

IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
import numpattern
names = sorted(m.name for m in pkgutil.iter_modules(numpattern.__path__) if m.name != "__main__")
for name in names:
    importlib.import_module("numpattern." + name)
loaded = sorted(m for m in sys.modules if m == "streamlit" or m.startswith("streamlit."))
print(json.dumps({"modules": names, "streamlit": loaded}))
"""


def core_module_names() -> list[str]:
    return sorted(path.stem for path in PACKAGE_DIR.glob("*.py") if path.stem not in ("__init__", "__main__"))


def test_core_imports_every_module_without_streamlit():
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["modules"] == core_module_names()
    assert report["streamlit"] == []


def test_core_sources_never_import_streamlit():
    offenders = [
        path.name
        for path in sorted(PACKAGE_DIR.glob("*.py"))
        if "import streamlit" in path.read_text(encoding="utf-8") or "from streamlit" in path.read_text(encoding="utf-8")
    ]

    assert core_module_names()
    assert offenders == []
