"""Start the dashboard with ``streamlit run`` on a free 127.0.0.1 port, and a browser that stays on that host."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT_SECONDS = 60
# The ready-made checkpoints tracked in git; models/ may also hold ones a user saved.
SHIPPED_CHECKPOINTS = ("linear-3x-plus-2", "quadratic-x-squared")


@dataclass
class ServedApp:
    url: str
    log_path: Path
    models_dir: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_shipped_models(target: Path) -> Path:
    """Copy the ready-made checkpoints, so a test can save and delete without touching the repo's models/."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_CHECKPOINTS:
        shutil.copy2(REPO / "models" / f"{name}.safetensors", target / f"{name}.safetensors")
    return target


@contextlib.contextmanager
def serve_app(workdir: Path) -> Iterator[ServedApp]:
    """Run ``streamlit run app.py`` until the block ends; the server binds 127.0.0.1 only."""
    port = free_port()
    models_dir = copy_shipped_models(workdir / "models")
    log_path = workdir / "server.log"
    env = {**os.environ, "NUMPATTERN_MODELS_DIR": str(models_dir)}
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process)
        yield ServedApp(url, log_path, models_dir, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {process.returncode} before it served the app")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer on {url} within {SERVER_START_TIMEOUT_SECONDS} s")


def keep_on_localhost(route) -> None:
    """Playwright route handler: let requests to 127.0.0.1 through and abort every other one."""
    host = route.request.url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    if host == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def browser_or_skip():
    """Return sync_playwright, or skip the test; with NUMPATTERN_REQUIRE_BROWSER=1 (as in CI) fail instead."""
    required = os.environ.get("NUMPATTERN_REQUIRE_BROWSER") == "1"
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing; install it with 'apt-get install chromium'"
        if required:
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        if required:
            pytest.fail(f"playwright is not installed: {error}")
        pytest.skip("playwright is not installed")
    return sync_playwright
