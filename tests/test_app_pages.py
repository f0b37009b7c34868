"""Every dashboard page under Streamlit's AppTest: default paths, page switches, bad input, the result cache."""

from __future__ import annotations

import pickle
import re
import time
from pathlib import Path

import pytest
from served_app import REPO, copy_shipped_models
from streamlit.testing.v1 import AppTest

RUN_TIMEOUT_SECONDS = 60
SMALL_EPOCHS = 300


class _CreatesFileWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "the payload ran"))


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    folder = copy_shipped_models(tmp_path / "models")
    monkeypatch.setenv("NUMPATTERN_MODELS_DIR", str(folder))
    return folder


@pytest.fixture
def app(models_dir) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=RUN_TIMEOUT_SECONDS)
    at.run()
    assert not at.exception
    return at


def run_until(at: AppTest, condition, timeout: float = RUN_TIMEOUT_SECONDS) -> None:
    """Rerun the script until ``condition(at)`` holds, as the live view's timer would in a browser."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if condition(at):
            return
        time.sleep(0.2)
    raise AssertionError("the condition did not hold before the timeout")


def job_finished(at: AppTest) -> bool:
    return "train.job" not in at.session_state


def session_runs(at: AppTest) -> list:
    if "train.runs" not in at.session_state:
        return []
    return at.session_state["train.runs"]


def texts(elements) -> list[str]:
    """Element texts with the app's Markdown escapes removed, as a reader sees them."""
    return [re.sub(r"\\(.)", r"\1", str(element.value)) for element in elements]


def go_to(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def train_once(at: AppTest, epochs: int = SMALL_EPOCHS, seed: int = 7) -> None:
    go_to(at, "train")
    if any(button.key == "train.use_example" for button in at.button):
        at.button(key="train.use_example").click().run()
    at.number_input(key="train.epochs").set_value(epochs).run()
    at.number_input(key="train.seed").set_value(seed).run()
    at.button(key="train.start").click().run()
    assert not at.exception, at.exception
    run_until(at, job_finished)


# --- start page ---------------------------------------------------------------------------


def test_start_page_renders(app):
    assert texts(app.title) == ["Watch a machine learn a pattern"]
    assert any(button.key == "start.demo" for button in app.button)


def test_start_demo_learns_line(app):
    app.button(key="start.demo").click().run()
    run_until(app, lambda at: any("behaves like" in text for text in texts(at.success)))
    sentence = next(text for text in texts(app.success) if "behaves like" in text)
    match = re.search(r"y ≈ (-?\d+\.\d+)x \+ (\d+\.\d+)", sentence)
    assert match, sentence
    assert abs(float(match.group(1)) - 3.0) <= 0.05
    assert abs(float(match.group(2)) - 2.0) <= 0.05
    charts = app.get("plotly_chart")
    assert len(charts) >= 2


# --- data page ----------------------------------------------------------------------------


def test_data_default_is_linear(app):
    go_to(app, "data")
    dataset = app.session_state["data.dataset"]
    assert dataset.source["formula"] == "3*x + 2"
    assert len(dataset.frame) == 200
    assert app.get("plotly_chart")


@pytest.mark.parametrize(
    ("page", "key", "value", "message"),
    [
        ("data", "data.points", 1_000_000, "Number of examples must be between 10 and 100,000. You gave 1,000,000."),
        ("data", "data.points", 5, "Number of examples must be between 10 and 100,000. You gave 5."),
        ("data", "data.seed", -3, "Seed must be between 0 and 4,294,967,295. You gave -3."),
        ("train", "train.hidden_layers", 9, "Hidden layers must be between 1 and 4. You gave 9."),
        ("train", "train.width", 0, "Neurons per layer must be between 1 and 256. You gave 0."),
        ("train", "train.epochs", 50_000, "Epochs must be between 1 and 20,000. You gave 50,000."),
        ("train", "train.seed", 2**32, "Seed must be between 0 and 4,294,967,295. You gave 4,294,967,296."),
    ],
)
def test_number_out_of_range_explained(app, page, key, value, message):
    if page == "train":
        train_once(app, seed=19)
    else:
        go_to(app, page)
    before = app.session_state["data.dataset"]
    charts_before = len(app.get("plotly_chart"))

    app.number_input(key=key).set_value(value).run()

    assert not app.exception
    assert any(message in text for text in texts(app.error))
    assert app.session_state["data.dataset"] is before
    # The rest of the page stays: the data preview, or the finished run's charts.
    assert len(app.get("plotly_chart")) == charts_before
    if page == "train":
        assert app.button(key="train.start").disabled


def test_number_back_in_range_recovers(app):
    go_to(app, "train")
    app.button(key="train.use_example").click().run()
    app.number_input(key="train.epochs").set_value(50_000).run()
    assert app.button(key="train.start").disabled

    app.number_input(key="train.epochs").set_value(200).run()

    assert texts(app.error) == []
    assert not app.button(key="train.start").disabled


def test_data_bad_formula_keeps_preview(app):
    go_to(app, "data")
    app.selectbox(key="data.preset").set_value("custom").run()
    app.text_input(key="data.formula").input("y = 3*x + 2").run()

    assert any("Type only what comes after '='" in text for text in texts(app.error))
    assert any("training uses the current data" in text for text in texts(app.info))
    assert len(app.get("plotly_chart")) == 1


def test_data_choice_survives_page_switch(app):
    go_to(app, "data")
    app.selectbox(key="data.preset").set_value("quadratic").run()
    app.number_input(key="data.points").set_value(321).run()
    app.slider(key="data.noise").set_value(0.1).run()
    go_to(app, "predict")
    go_to(app, "data")
    assert app.selectbox(key="data.preset").value == "quadratic"
    assert app.number_input(key="data.points").value == 321
    assert app.slider(key="data.noise").value == pytest.approx(0.1)
    dataset = app.session_state["data.dataset"]
    assert dataset.source["formula"] == "x**2"
    assert len(dataset.frame) == 321


def test_data_preset_sets_its_range(app):
    go_to(app, "data")
    app.selectbox(key="data.preset").set_value("sine").run()
    assert app.number_input(key="data.x_min").value == pytest.approx(-6.283185, abs=1e-5)
    assert app.number_input(key="data.x_max").value == pytest.approx(6.283185, abs=1e-5)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("x.__class__", "cannot use '.'"),
        ("__import__('os')", "not an allowed function"),
        ("sqrt(x)", "no finite value"),
        ("1/x", "no finite value"),
        ("3x", "Write multiplication with"),
        ("", "empty"),
    ],
)
def test_data_bad_formula_shows_message(app, formula, message):
    go_to(app, "data")
    before = app.session_state["data.dataset"]
    app.selectbox(key="data.preset").set_value("custom").run()
    # 201 points from -2 to 2 include x = 0, where 1/x has no value.
    app.number_input(key="data.x_min").set_value(-2.0).run()
    app.number_input(key="data.x_max").set_value(2.0).run()
    app.number_input(key="data.points").set_value(201).run()
    app.text_input(key="data.formula").input(formula).run()
    assert not app.exception
    errors = texts(app.error)
    assert len(errors) == 1
    assert message in errors[0]
    assert app.session_state["data.dataset"] is not None
    assert before.source["kind"] == "formula"


def test_data_reversed_range_shows_message(app):
    go_to(app, "data")
    app.number_input(key="data.x_min").set_value(5.0).run()
    app.number_input(key="data.x_max").set_value(-5.0).run()
    assert not app.exception
    assert any("must be smaller than its end" in text for text in texts(app.error))


# --- train page ---------------------------------------------------------------------------


def test_train_without_data_points_to_data_page(app):
    go_to(app, "train")
    assert any("No data chosen yet" in text for text in texts(app.info))
    app.button(key="train.use_example").click().run()
    assert app.session_state["data.dataset"].source["formula"] == "3*x + 2"
    assert any(button.key == "train.start" for button in app.button)


def test_train_shows_results_and_learned_relationship(app):
    train_once(app, epochs=1500, seed=11)
    runs = session_runs(app)
    assert len(runs) == 1
    assert runs[0].result.epochs_run == 1500
    assert any("behaves like" in text for text in texts(app.success))
    labels = [metric.label for metric in app.metric]
    assert labels[:4] == ["R²", "MSE", "MAE", "Largest error"]
    assert len(app.get("plotly_chart")) >= 3


def test_train_same_settings_uses_cache(app):
    train_once(app, seed=12)
    first = session_runs(app)[-1]
    assert not first.from_cache

    app.button(key="train.start").click().run()
    assert "train.job" not in app.session_state
    second = session_runs(app)[-1]
    assert second.from_cache
    assert second.result is first.result
    assert second.result.history.equals(first.result.history)
    assert any("reused instantly" in text for text in texts(app.success))


def test_train_watch_again_skips_cache(app):
    train_once(app, seed=16)
    app.button(key="train.start").click().run()
    assert session_runs(app)[-1].from_cache

    app.button(key="train.watch_again").click().run()
    assert "train.job" in app.session_state
    run_until(app, job_finished)
    runs = session_runs(app)
    assert [run.from_cache for run in runs] == [False, True, False]
    assert runs[-1].result is not runs[0].result
    assert runs[-1].result.history.equals(runs[0].result.history)


def test_train_cache_not_shared_between_sessions(app, models_dir):
    train_once(app, seed=17)
    other_visitor = AppTest.from_file(str(REPO / "app.py"), default_timeout=RUN_TIMEOUT_SECONDS)
    other_visitor.run()

    train_once(other_visitor, seed=17)

    assert not session_runs(other_visitor)[-1].from_cache


def test_train_button_disabled_while_running(app):
    go_to(app, "train")
    app.button(key="train.use_example").click().run()
    app.number_input(key="train.epochs").set_value(20_000).run()
    app.button(key="train.start").click().run()
    busy = [button for button in app.button if button.key == "train.start.busy"]
    assert len(busy) == 1
    assert busy[0].disabled
    app.session_state["train.job"].request_stop()
    run_until(app, job_finished)


def test_train_results_flag_other_data(app):
    train_once(app, seed=18)
    go_to(app, "data")
    app.selectbox(key="data.preset").set_value("quadratic").run()
    go_to(app, "train")
    assert any("was trained on other data" in text for text in texts(app.info))


def test_train_changed_setting_trains_again(app):
    train_once(app, seed=13)
    app.number_input(key="train.seed").set_value(14).run()
    app.button(key="train.start").click().run()
    run_until(app, job_finished)
    runs = session_runs(app)
    assert [run.from_cache for run in runs] == [False, False]
    assert runs[0].result is not runs[1].result


def test_train_stop_keeps_what_was_learned(app):
    go_to(app, "train")
    app.button(key="train.use_example").click().run()
    app.number_input(key="train.epochs").set_value(20_000).run()
    app.number_input(key="train.seed").set_value(15).run()
    app.button(key="train.start").click().run()
    run_until(app, lambda at: at.session_state["train.job"].snapshot().epoch > 0, timeout=30)
    app.button(key="train.stop").click().run()
    run_until(app, job_finished, timeout=10)
    run = session_runs(app)[-1]
    assert run.result.stop_reason == "stopped"
    assert 0 < run.result.epochs_run < 20_000
    assert any("was stopped early by you" in text for text in texts(app.caption))


def test_run_survives_switch_and_predict_uses_it(app):
    train_once(app, seed=16)
    run = session_runs(app)[-1]
    go_to(app, "predict")
    assert app.selectbox(key="predict.source").value == f"run:{run.run_id}"
    value = float(app.metric[0].value)
    assert value == pytest.approx(float(run.result.predict([5.0])[0]), abs=1e-4)
    go_to(app, "train")
    assert session_runs(app)[-1] is run
    assert any(f"{run.label}: results" == text for text in texts(app.subheader))


def test_train_save_checkpoint(app, models_dir):
    train_once(app, seed=17)
    run = session_runs(app)[-1]
    name_key = f"train.save_name.{run.run_id}"
    app.text_input(key=name_key).input("my-line").run()
    app.button(key=f"train.save.{run.run_id}").click().run()
    assert (models_dir / "my-line.safetensors").is_file()
    assert any("Saved as 'my-line'" in text for text in texts(app.success))


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../escape", "not a valid checkpoint name"),
        ("a/b", "not a valid checkpoint name"),
        ("", "The checkpoint name is empty"),
        (".hidden", "not a valid checkpoint name"),
        ("CON", "Windows"),
        ("модель", "ASCII letters"),
    ],
)
def test_train_save_bad_name_rejected(app, models_dir, name, problem):
    train_once(app, seed=18)
    run = session_runs(app)[-1]
    before = sorted(path.name for path in models_dir.iterdir())
    app.text_input(key=f"train.save_name.{run.run_id}").input(name).run()
    app.button(key=f"train.save.{run.run_id}").click().run()
    assert not app.exception
    assert any(problem in text for text in texts(app.error))
    assert sorted(path.name for path in models_dir.iterdir()) == before
    assert not (models_dir.parent / "escape.safetensors").exists()


# --- predict page -------------------------------------------------------------------------


def test_predict_shipped_checkpoint_on_first_open(app):
    go_to(app, "predict")
    assert app.selectbox(key="predict.source").value == "file:linear-3x-plus-2"
    app.text_input(key="predict.x_text").input("5.0").run()
    assert float(app.metric[0].value) == pytest.approx(17.0, abs=0.05)
    assert not app.warning


def test_predict_several_values_and_extrapolation(app):
    go_to(app, "predict")
    app.text_input(key="predict.x_text").input("1, 2; 100").run()
    assert not app.exception
    warnings = texts(app.warning)
    assert len(warnings) == 1
    assert "1 of these 3 x values lies outside" in warnings[0]
    table = app.dataframe[0].value
    assert list(table.iloc[:, 0]) == [1.0, 2.0, 100.0]


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "", "1, two"])
def test_predict_bad_input_shows_message(app, text):
    go_to(app, "predict")
    app.text_input(key="predict.x_text").input(text).run()
    assert not app.exception
    assert len(app.error) == 1


def test_predict_decimal_comma_explained(app):
    go_to(app, "predict")
    app.text_input(key="predict.x_text").input("2,5").run()
    notes = texts(app.info)
    assert len(notes) == 1
    assert "read as two values, 2 and 5" in notes[0]
    assert "2.5" in notes[0]
    assert list(app.dataframe[0].value.iloc[:, 0]) == [2.0, 5.0]


def test_predict_negative_zero_shown_as_zero(app):
    go_to(app, "predict")
    app.text_input(key="predict.x_text").input("-0").run()
    assert app.metric[0].label.endswith("= 0")


def test_predict_without_any_model(app, models_dir):
    for path in models_dir.glob("*.safetensors"):
        path.unlink()
    go_to(app, "predict")
    assert any("no trained model yet" in text for text in texts(app.info))


# --- saved models page --------------------------------------------------------------------


def test_models_lists_shipped(app):
    go_to(app, "models")
    names = list(app.dataframe[0].value["Name"])
    assert "linear-3x-plus-2" in names
    assert "quadratic-x-squared" in names


def test_models_upload_pickle_rejected(app, models_dir, tmp_path):
    marker = tmp_path / "payload-ran.txt"
    payload = pickle.dumps(_CreatesFileWhenUnpickled(marker))
    before = sorted(path.name for path in models_dir.iterdir())
    go_to(app, "models")
    app.file_uploader(key="models.upload.0").upload("model.pth", payload).run()
    assert not app.exception
    errors = texts(app.error)
    assert len(errors) == 1
    assert "pickle" in errors[0]
    assert not any(button.key == "models.import" for button in app.button)
    assert sorted(path.name for path in models_dir.iterdir()) == before
    assert not marker.exists()


def test_models_upload_random_bytes_rejected(app, models_dir):
    before = sorted(path.name for path in models_dir.iterdir())
    go_to(app, "models")
    app.file_uploader(key="models.upload.0").upload("model.safetensors", bytes(range(256)) * 8).run()
    assert not app.exception
    assert any("Upload rejected" in text for text in texts(app.error))
    assert sorted(path.name for path in models_dir.iterdir()) == before


def test_models_upload_valid_then_delete(app, models_dir):
    data = (models_dir / "linear-3x-plus-2.safetensors").read_bytes()
    go_to(app, "models")
    app.file_uploader(key="models.upload.0").upload("my upload.safetensors", data).run()
    app.button(key="models.import").click().run()
    assert (models_dir / "my-upload.safetensors").is_file()
    # The added file leaves the upload box, so it is not checked again and called a duplicate.
    assert texts(app.warning) == []
    assert any("Added 'my-upload'" in text for text in texts(app.success))
    assert app.selectbox(key="models.selected").value == "my-upload"

    app.selectbox(key="models.selected").set_value("my-upload").run()
    app.button(key="models.delete").click().run()
    assert not app.exception
    assert not (models_dir / "my-upload.safetensors").exists()
    assert (models_dir / "linear-3x-plus-2.safetensors").is_file()


def test_models_shipped_cannot_be_deleted(app):
    go_to(app, "models")
    app.selectbox(key="models.selected").set_value("linear-3x-plus-2").run()
    assert not any(button.key == "models.delete" for button in app.button)


# --- data page: CSV upload and real datasets ----------------------------------------------


def choose_upload(at: AppTest, name: str, content: bytes) -> AppTest:
    if texts(at.title) != ["1. Your data"]:
        go_to(at, "data")
    at.radio(key="data.mode").set_value("upload").run()
    at.file_uploader(key="data.upload").upload(name, content, "text/csv").run()
    assert not at.exception, at.exception
    return at


def test_data_csv_semicolon_decimal_comma(app):
    content = "Größe (cm);Gewicht (kg)\n1.234,5;10,5\n2.000,0;20,25\n3.500,75;30,0\n4.000,0;41,0\n".encode()
    choose_upload(app, "spreadsheet.csv", content)
    assert not app.error
    dataset = app.session_state["data.dataset"]
    assert list(dataset.x) == [1234.5, 2000.0, 3500.75, 4000.0]
    assert list(dataset.y) == [10.5, 20.25, 30.0, 41.0]
    assert dataset.x_label == "Größe (cm)"


def test_data_csv_bom_and_tabs(app):
    content = "\ufeffhours\tscore\r\n1\t52\r\n2\t57\r\n3\t61\r\n4\t68\r\n".encode("utf-8")
    choose_upload(app, "export.tsv", content)
    assert not app.error
    assert list(app.session_state["data.dataset"].y) == [52.0, 57.0, 61.0, 68.0]


def test_data_csv_problem_cells_then_drop(app):
    content = b"x,y\n1,2\n2,\nn/a,6\n4,eight\n5,10\n6,12\n7,14\n"
    go_to(app, "data")
    before = app.session_state["data.dataset"]
    choose_upload(app, "messy.csv", content)
    errors = texts(app.error)
    assert len(errors) == 1
    assert "line 3" in errors[0]
    assert "'n/a'" in errors[0]
    assert "'eight'" in errors[0]
    problems = app.dataframe[0].value
    assert list(problems["line in file"]) == [3, 4, 5]
    assert app.session_state["data.dataset"] is before

    app.checkbox(key="data.drop_invalid").check().run()
    assert not app.error
    assert any("Dropped 3 rows with empty or invalid cells" in text for text in texts(app.warning))
    assert not any("Dropped" in text for text in texts(app.caption))
    dataset = app.session_state["data.dataset"]
    assert list(dataset.x) == [1.0, 5.0, 6.0, 7.0]
    assert dataset.source["rows_dropped"] == 3


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("header.csv", b"x,y\n", "header"),
        ("one.csv", b"x,y\n1,2\n", "row"),
        ("constant.csv", b"x,y\n1,2\n1,3\n1,4\n1,5\n", "no pattern to learn"),
        ("binary.csv", bytes(range(256)) * 4, "text"),
    ],
)
def test_data_csv_bad_file_shows_message(app, name, content, message):
    choose_upload(app, name, content)
    errors = texts(app.error)
    assert len(errors) == 1
    assert message in errors[0].lower()


def test_data_real_dataset_trains_and_predicts(app):
    go_to(app, "data")
    app.radio(key="data.mode").set_value("dataset").run()
    app.selectbox(key="data.bundled").set_value("gapminder").run()
    assert not app.exception
    dataset = app.session_state["data.dataset"]
    assert dataset.source["name"] == "gapminder"

    go_to(app, "train")
    app.number_input(key="train.epochs").set_value(400).run()
    app.button(key="train.start").click().run()
    run_until(app, job_finished)
    run = session_runs(app)[-1]
    assert run.result.metrics["r2"] > 0.3

    go_to(app, "predict")
    app.text_input(key="predict.x_text").input("10000").run()
    predicted = float(app.metric[0].value)
    nearby = dataset.frame[(dataset.frame["x"] > 8000) & (dataset.frame["x"] < 12000)]["y"]
    assert nearby.min() <= predicted <= nearby.max()


def test_data_csv_over_size_limit(app):
    from numpattern.csv_loading import MAX_CSV_BYTES

    content = b"x,y\n" + b"1,2\n" * (MAX_CSV_BYTES // 4 + 1)
    choose_upload(app, "huge.csv", content)
    errors = texts(app.error)
    assert len(errors) == 1
    assert "40 MB" in errors[0]


# --- large data and agreement with the CLI ------------------------------------------------


def chart_points(chart) -> int:
    """Count the x values a Plotly chart sends to the browser, decoding Plotly's binary arrays."""
    import base64
    import json

    import numpy as np

    total = 0
    for trace in json.loads(chart.proto.spec)["data"]:
        x = trace.get("x")
        if isinstance(x, dict) and "bdata" in x:
            total += len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize
        elif x is not None:
            total += len(x)
    return total


def test_large_csv_charts_stay_small(app):
    rows = 1_000_000
    lines = "\n".join(f"{i / 1000:.3f},{3 * i / 1000 + 2:.3f}" for i in range(rows))
    choose_upload(app, "million.csv", f"x,y\n{lines}\n".encode())
    assert not app.error
    assert len(app.session_state["data.dataset"].frame) == rows
    assert any("random sample of 10,000" in text for text in texts(app.caption))
    for chart in app.get("plotly_chart"):
        assert chart_points(chart) <= 10_000

    go_to(app, "train")
    app.number_input(key="train.epochs").set_value(1).run()
    app.button(key="train.start").click().run()
    run_until(app, job_finished, timeout=120)
    run = session_runs(app)[-1]
    assert run.result.training_config.batch_size == 8192
    charts = app.get("plotly_chart")
    assert len(charts) >= 3
    for chart in charts:
        assert chart_points(chart) <= 2 * 10_000 + 1_000  # data sample plus curve traces


def test_app_and_cli_predict_alike(app, models_dir, tmp_path):
    import json
    import subprocess
    import sys

    content = "hours,score\n" + "\n".join(f"{h},{40 + 5 * h + (h % 3)}" for h in range(1, 41)) + "\n"
    csv_path = tmp_path / "scores.csv"
    csv_path.write_text(content)

    choose_upload(app, "scores.csv", content.encode())
    go_to(app, "train")
    app.number_input(key="train.epochs").set_value(500).run()
    app.number_input(key="train.seed").set_value(3).run()
    app.button(key="train.start").click().run()
    run_until(app, job_finished)
    go_to(app, "predict")
    app.text_input(key="predict.x_text").input("12.5").run()
    # The table contains the full value, and the metric card rounds it to six significant digits.
    app_value = float(app.dataframe[0].value.iloc[0, 1])
    assert float(app.metric[0].value.replace(",", "")) == pytest.approx(app_value, rel=1e-5)

    environment = {"NUMPATTERN_MODELS_DIR": str(models_dir), "PATH": ""}
    common = [sys.executable, "-m", "numpattern"]
    subprocess.run(
        [*common, "train", "--csv", str(csv_path), "--epochs", "500", "--seed", "3", "--out", "from-cli"],
        cwd=REPO, env=environment, check=True, capture_output=True,
    )
    output = subprocess.run(
        [*common, "predict", "12.5", "--model", "from-cli", "--json"],
        cwd=REPO, env=environment, check=True, capture_output=True, text=True,
    ).stdout
    cli_value = json.loads(output)[0]["y"]
    assert cli_value == pytest.approx(app_value, abs=1e-4)


def test_error_markdown_is_escaped(app):
    go_to(app, "data")
    app.selectbox(key="data.preset").set_value("custom").run()
    app.text_input(key="data.formula").input("3x+1").run()
    raw = app.error[0].value
    # Escaped, the asterisk in "3*x" shows as written instead of starting italics.
    assert "3\\*x" in raw


def test_models_table_with_invalid_file(app, models_dir):
    (models_dir / "broken.safetensors").write_bytes(b"not a checkpoint")
    go_to(app, "models")
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table.columns)[:3] == ["Name", "R²", "Created"]
    broken = table[table["Name"] == "broken"].iloc[0]
    assert broken["Problem"] != ""
    shipped = table[table["Name"] == "linear-3x-plus-2"].iloc[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", shipped["Created"])
    assert re.fullmatch(r"0\.\d{5}", shipped["R²"])


@pytest.mark.parametrize(("r2", "shown"), [(0.9999995, "0.99999"), (1.0, "1.00000"), (0.12345, "0.12345"), (-0.5, "-0.50000")])
def test_format_r2_never_rounds_up(r2, shown):
    from dashboard.formatting import format_r2

    assert format_r2(r2) == shown
