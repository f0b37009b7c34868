"""The served app in a real browser: Debian's Chromium, driven by Playwright, against ``streamlit run``."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from served_app import CHROMIUM, CHROMIUM_FLAGS, REPO, browser_or_skip, keep_on_localhost, serve_app

from numpattern.jobs import UNWATCHED_GRACE_SECONDS

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("NUMPATTERN_TEST_ARTIFACTS", REPO / "test-artifacts"))
PAGES = {"data": "1. Data", "train": "2. Train", "predict": "3. Predict", "models": "Saved models"}
DEMO_TIMEOUT_MS = 90_000
PAGE_TIMEOUT_MS = 30_000
SERVER_LOG_PROBLEMS = re.compile(r"Traceback|Exception|ERROR|Error:")


@pytest.fixture
def browser_page(tmp_path):
    sync_playwright = browser_or_skip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []

    def route(request_route) -> None:
        if "://127.0.0.1" not in request_route.request.url:
            blocked.append(request_route.request.url)
        keep_on_localhost(request_route)

    with serve_app(tmp_path) as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.route("**/*", route)
        try:
            yield app, page, blocked
        finally:
            browser.close()


def assert_no_exception(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"the {name} page shows an exception: {exceptions.first.inner_text()}"


def open_page(page, link_text: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=link_text, exact=True).click()
    page.get_by_role("heading", name=link_text.split(". ")[-1], exact=False).first.wait_for(timeout=PAGE_TIMEOUT_MS)


def choose_option(page, label: str, option_text: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=re.compile(re.escape(option_text))).first.click()


def test_browser_demo_and_shipped_prediction(browser_page):
    app, page, blocked = browser_page

    page.goto(app.url)
    page.get_by_role("heading", name="Watch a machine learn a pattern").wait_for(timeout=PAGE_TIMEOUT_MS)
    assert_no_exception(page, "start")

    # The one-click demo: loss and fit charts, and the learned line in words.
    page.get_by_role("button", name="Run the demo").click()
    learned = page.get_by_text(re.compile(r"The model behaves like y ≈"))
    learned.wait_for(timeout=DEMO_TIMEOUT_MS)
    match = re.search(r"y ≈ (-?\d+\.\d+)x ([+-]) (\d+\.\d+)", learned.inner_text())
    assert match, learned.inner_text()
    slope = float(match.group(1))
    intercept = float(match.group(3)) * (-1 if match.group(2) == "-" else 1)
    assert abs(slope - 3.0) <= 0.05
    assert abs(intercept - 2.0) <= 0.05
    assert page.locator(".js-plotly-plot").count() >= 2
    assert_no_exception(page, "start-demo-finished")

    # Predict 5.0 with the shipped y = 3x + 2 checkpoint.
    open_page(page, PAGES["predict"])
    choose_option(page, "Model", "Saved: linear-3x-plus-2")
    x_input = page.get_by_label("x values", exact=True).and_(page.get_by_role("textbox"))
    x_input.fill("5.0")
    x_input.press("Enter")
    metric = page.get_by_test_id("stMetric").filter(has_text="at x = 5")
    metric.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_timeout(500)
    value = float(metric.get_by_test_id("stMetricValue").inner_text())
    assert abs(value - 17.0) <= 0.05
    assert_no_exception(page, "predict")

    for name in ("data", "train", "models"):
        open_page(page, PAGES[name])
        page.wait_for_timeout(1_000)
        assert_no_exception(page, name)

    problems = [line for line in app.log().splitlines() if SERVER_LOG_PROBLEMS.search(line)]
    assert problems == [], "\n".join(problems)
    # The route aborted every request to another host; the app should not even try one.
    assert blocked == []


def test_browser_first_visit_by_page_address(browser_page):
    # A shared link to a page, opened first after the server starts, still gets the app's own
    # navigation rather than Streamlit's automatic list of the files in pages/.
    app, page, blocked = browser_page
    page.goto(f"{app.url}/predict")
    page.get_by_role("heading", name="Predict").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    nav_links = page.get_by_test_id("stSidebarNav").get_by_role("link")
    nav_links.filter(has_text=PAGES["predict"]).wait_for(timeout=PAGE_TIMEOUT_MS)
    assert nav_links.all_inner_texts() == ["Start", *PAGES.values()]
    assert_no_exception(page, "predict-first-visit")
    assert blocked == []


def test_browser_closed_tab_stops_training(browser_page):
    # A tab closed mid-run must not leave its training holding a job slot and a CPU core.
    app, page, _ = browser_page
    page.goto(f"{app.url}/train")
    page.get_by_role("button", name="Use the example data (y = 3x + 2)").click()
    for label, value in (("Hidden layers (1 to 4)", "4"), ("Neurons per layer (1 to 256)", "256"), ("Epochs (1 to 20,000)", "20000")):
        field = page.get_by_label(label, exact=True).and_(page.get_by_role("spinbutton"))
        field.fill(value)
        field.press("Enter")
    page.wait_for_timeout(1_000)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_test_id("stProgress").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.close()

    deadline = time.monotonic() + UNWATCHED_GRACE_SECONDS + 30
    while "unwatched for" not in app.log() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "Stopping training job Run 1: unwatched for" in app.log()


def test_browser_gapminder_train_and_predict(browser_page):
    from numpattern.datasets import load_dataset

    app, page, _ = browser_page
    page.goto(app.url)
    page.get_by_role("heading", name="Watch a machine learn a pattern").wait_for(timeout=PAGE_TIMEOUT_MS)

    open_page(page, PAGES["data"])
    page.get_by_text("Real dataset", exact=True).click()
    choose_option(page, "Dataset", "Wealth and life expectancy")
    page.get_by_text("GDP per person").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert_no_exception(page, "data-gapminder")

    open_page(page, PAGES["train"])
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("What the model learned").wait_for(timeout=DEMO_TIMEOUT_MS)
    assert_no_exception(page, "train-gapminder")

    open_page(page, PAGES["predict"])
    x_input = page.get_by_label("x values", exact=True).and_(page.get_by_role("textbox"))
    x_input.fill("10000")
    x_input.press("Enter")
    metric = page.get_by_test_id("stMetric").filter(has_text="= 10,000")
    metric.wait_for(timeout=PAGE_TIMEOUT_MS)
    predicted = float(metric.get_by_test_id("stMetricValue").inner_text())
    assert_no_exception(page, "predict-gapminder")

    frame = load_dataset("gapminder").frame
    nearby = frame[(frame["x"] > 8_000) & (frame["x"] < 12_000)]["y"]
    assert nearby.min() <= predicted <= nearby.max()
