"""The served dashboard in Chromium: cold start, first chart after the first click, and server memory.

Each repetition starts a fresh ``streamlit run`` on 127.0.0.1, so one-time costs are included.
Figures printed:
- cold start: from launching the server process to the start page, with its example chart,
  drawn in the browser;
- first chart: from the first click on "Run the demo", made once the start page is drawn,
  to the first live chart;
- first model curve: from that click to the first chart that carries the model's curve;
- demo finished: from that click to the learned relationship and final charts;
- server memory: resident set size (VmRSS) of the server after 1 and after N browser
  sessions that each ran the demo and predicted one value.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from _common import REPOSITORY, machine_summary, parse_arguments

from tests.served_app import CHROMIUM, CHROMIUM_FLAGS, keep_on_localhost, serve_app

TIMEOUT_MS = 120_000


def resident_megabytes(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def open_start_page(browser, url: str):
    # A new context per call is a new browser session, with its own Streamlit session on the server.
    context = browser.new_context(viewport={"width": 1400, "height": 2400})
    page = context.new_page()
    page.route("**/*", keep_on_localhost)
    page.goto(url)
    page.get_by_role("heading", name="Watch a machine learn a pattern").wait_for(timeout=TIMEOUT_MS)
    # The page counts as shown once its example chart is drawn, as a visitor would see it.
    page.locator("[class*='st-key-start-examples'] .js-plotly-plot").wait_for(timeout=TIMEOUT_MS)
    return page


def run_demo(page) -> dict[str, float]:
    """Click the demo button; return seconds until the first chart, first model curve and the result."""
    # Streamlit marks a keyed element with the class st-key-<key>, so these find the live fit chart.
    live_fit = page.locator("[class*='st-key-start-live_fit'] .js-plotly-plot")
    # On a loaded machine the browser may first draw the run after it ended. Its final charts
    # then count as the first ones shown, because no live chart will come.
    learned = page.get_by_text("The model behaves like")
    clicked = time.perf_counter()
    page.get_by_role("button", name="Run the demo").click()
    live_fit.first.or_(learned).first.wait_for(timeout=TIMEOUT_MS)
    first_chart = time.perf_counter() - clicked
    live_fit.locator(".legendtext", has_text="model").first.or_(learned).first.wait_for(timeout=TIMEOUT_MS)
    first_curve = time.perf_counter() - clicked
    learned.wait_for(timeout=TIMEOUT_MS)
    finished = time.perf_counter() - clicked
    return {"first chart": first_chart, "first model curve": first_curve, "demo finished": finished}


def predict_once(page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="3. Predict").click()
    page.get_by_test_id("stMetric").first.wait_for(timeout=TIMEOUT_MS)


def measure_once(sync_playwright, sessions: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as workdir, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        launched = time.perf_counter()
        with serve_app(Path(workdir)) as app:
            page = open_start_page(browser, app.url)
            figures["cold start"] = time.perf_counter() - launched
            figures.update(run_demo(page))
            predict_once(page)
            figures["memory after 1 session (MB)"] = resident_megabytes(app.process.pid)
            for _ in range(sessions - 1):
                other = open_start_page(browser, app.url)
                run_demo(other)
                predict_once(other)
            figures[f"memory after {sessions} sessions (MB)"] = resident_megabytes(app.process.pid)
        browser.close()
    return figures


def main() -> None:
    arguments = parse_arguments(__doc__.splitlines()[0], repetitions=3)
    sessions = 2 if arguments.smoke else 5
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing; install it with 'apt-get install chromium'.")
    print(machine_summary())
    print(f"repository: {REPOSITORY}; {arguments.repetitions} fresh servers, {sessions} sessions each")
    runs = [measure_once(sync_playwright, sessions) for _ in range(arguments.repetitions)]
    for name in runs[0]:
        values = [run[name] for run in runs]
        unit = "" if "MB" in name else " s"
        print(f"{name}: median {statistics.median(values):.2f}{unit} (runs: {', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
