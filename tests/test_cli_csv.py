"""The command line with real data: --csv with its format and column options, and --dataset."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from numpattern.checkpoint import load_checkpoint
from numpattern.cli import main
from numpattern.csv_loading import load_csv_path
from numpattern.model import ModelConfig
from numpattern.training import (
    FULL_BATCH_MAX_ROWS,
    LARGE_DATA_BATCH_SIZE,
    TrainingConfig,
    default_batch_size,
    train,
)

PROBLEM_FILE = "x,y\n1,2\n2,\nn/a,4\nabc,5\n5,6\n6,7\n7,9\n"


def run_main(capsys: pytest.CaptureFixture, *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, stderr: str, message: str) -> None:
    assert code == 2
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("numpattern: error: ")
    assert re.search(message, stderr), stderr


def write_european_csv(folder: Path, n_rows: int = 40, seed: int = 5) -> Path:
    """Semicolon-separated, decimal comma: y = x² with a little seeded noise."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-2.0, 2.0, n_rows)
    y = x**2 + rng.normal(0.0, 0.05, n_rows)
    lines = ["Abstand (m);Höhe (m)"] + [f"{a:.4f};{b:.4f}".replace(".", ",") for a, b in zip(x, y)]
    path = folder / "messung.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_default_batch_size_threshold():
    assert default_batch_size(10) is None
    assert default_batch_size(FULL_BATCH_MAX_ROWS) is None
    assert default_batch_size(FULL_BATCH_MAX_ROWS + 1) == LARGE_DATA_BATCH_SIZE


def test_cli_csv_train_predict_matches_library(capsys, tmp_path, models_dir):
    path = write_european_csv(tmp_path)
    x_query = [-1.5, 0.0, 0.25, 1.75]

    code, out, err = run_main(
        capsys, "train", "--csv", str(path), "--epochs", "40", "--hidden", "8", "--seed", "3", "--out", "csv-model"
    )
    assert code == 0, err
    assert "semicolon-separated, decimal comma" in out
    code, out, err = run_main(capsys, "predict", *map(str, x_query), "--model", "csv-model", "--json")
    assert code == 0, err
    from_cli = [row["y"] for row in json.loads(out)]

    dataset = load_csv_path(path).dataset
    result = train(
        dataset,
        ModelConfig(hidden_sizes=(8,)),
        TrainingConfig(epochs=40, seed=3, batch_size=default_batch_size(len(dataset.frame))),
    )
    np.testing.assert_allclose(from_cli, result.predict(np.array(x_query)), rtol=1e-6, atol=1e-7)


def test_cli_csv_card_records_source(capsys, tmp_path, models_dir):
    path = write_european_csv(tmp_path)
    code, _, err = run_main(capsys, "train", "--csv", str(path), "--epochs", "5", "--out", "card-check")
    assert code == 0, err

    source = load_checkpoint("card-check", models_dir).card["data"]["source"]
    assert source == {
        "kind": "csv",
        "file_name": "messung.csv",
        "x_column": "Abstand (m)",
        "y_column": "Höhe (m)",
        "rows_used": 40,
        "rows_dropped": 0,
        "delimiter": ";",
        "decimal": ",",
        "thousands": "",
    }


def test_cli_csv_problem_cells_exit_2(capsys, tmp_path, models_dir):
    path = tmp_path / "problems.csv"
    path.write_text(PROBLEM_FILE)

    code, out, err = run_main(capsys, "train", "--csv", str(path), "--epochs", "5")

    assert_one_line_error(
        code, err,
        r"3 cells in 3 rows without a valid number .*line 3, column 'y': empty; line 4, column 'x': 'n/a'; "
        r"line 5, column 'x': 'abc'\. .* To train on the other rows, add --drop-invalid-rows\.",
    )
    assert out == ""
    assert not models_dir.exists() or not any(models_dir.iterdir())


def test_cli_csv_drop_invalid_rows_trains(capsys, tmp_path, models_dir):
    path = tmp_path / "problems.csv"
    path.write_text(PROBLEM_FILE)

    code, out, err = run_main(
        capsys, "train", "--csv", str(path), "--epochs", "5", "--drop-invalid-rows", "--out", "dropped"
    )

    assert code == 0, err
    assert "Dropped 3 rows with empty or invalid cells" in out
    source = load_checkpoint("dropped", models_dir).card["data"]["source"]
    assert source["rows_dropped"] == 3
    assert source["rows_used"] == 4


def test_cli_csv_format_options_override_detection(capsys, tmp_path, models_dir):
    path = tmp_path / "ambiguous.csv"
    path.write_text("x;y\n1,234;1\n2,500;2\n3,750;4\n4,125;5\n")

    code, _, err = run_main(
        capsys, "train", "--csv", str(path), "--delimiter", "semicolon", "--decimal", "point",
        "--thousands", "comma", "--epochs", "3", "--out", "override",
    )

    assert code == 0, err
    card = load_checkpoint("override", models_dir).card
    assert card["data"]["source"]["thousands"] == ","
    assert card["data"]["x_range"][1] >= 1234.0


def test_cli_csv_columns_chosen(capsys, tmp_path, models_dir):
    path = tmp_path / "people.csv"
    path.write_text("name,height,weight,age\nAna,160,55,30\nBo,170,65,40\nCy,180,80,50\nDi,175,70,45\n")

    code, _, err = run_main(
        capsys, "train", "--csv", str(path), "--x-column", "age", "--y-column", "weight",
        "--epochs", "3", "--out", "columns",
    )

    assert code == 0, err
    source = load_checkpoint("columns", models_dir).card["data"]["source"]
    assert (source["x_column"], source["y_column"]) == ("age", "weight")


def test_cli_large_csv_uses_mini_batches(capsys, tmp_path, models_dir):
    n_rows = FULL_BATCH_MAX_ROWS + 1
    path = tmp_path / "large.csv"
    x = np.arange(n_rows)
    path.write_text("x,y\n" + "\n".join(f"{value},{2 * value + 1}" for value in x) + "\n")

    code, _, err = run_main(capsys, "train", "--csv", str(path), "--epochs", "1", "--out", "large")
    assert code == 0, err
    assert load_checkpoint("large", models_dir).card["training_config"]["batch_size"] == LARGE_DATA_BATCH_SIZE

    code, _, err = run_main(
        capsys, "train", "--csv", str(path), "--epochs", "1", "--batch-size", "20000", "--out", "large-set"
    )
    assert code == 0, err
    assert load_checkpoint("large-set", models_dir).card["training_config"]["batch_size"] == 20000


def test_cli_small_csv_uses_full_batch(capsys, tmp_path, models_dir):
    path = write_european_csv(tmp_path)
    code, _, err = run_main(capsys, "train", "--csv", str(path), "--epochs", "2", "--out", "small")
    assert code == 0, err
    assert load_checkpoint("small", models_dir).card["training_config"]["batch_size"] is None


def test_cli_dataset_trains(capsys, models_dir):
    code, out, err = run_main(capsys, "train", "--dataset", "iris", "--epochs", "5", "--json")

    assert code == 0, err
    assert json.loads(out)["epochs"] == 5
    assert "petal" in err
    source = load_checkpoint("latest", models_dir).card["data"]["source"]
    assert source["kind"] == "dataset"
    assert source["name"] == "iris"
    assert source["rows_used"] == 150


def test_cli_tab_delimiter_option(capsys, tmp_path, models_dir):
    path = tmp_path / "tabs.csv"
    path.write_text("a\tb\n1\t2\n2\t3\n3\t5\n")

    code, _, err = run_main(capsys, "train", "--csv", str(path), "--delimiter", "tab", "--epochs", "2", "--out", "tabs")

    assert code == 0, err
    source = load_checkpoint("tabs", models_dir).card["data"]["source"]
    assert source["delimiter"] == "\t"
    assert source["x_column"] == "a"


INVALID_CSV_ARGUMENTS = [
    (["--x-column", "a"], "--x-column only applies to CSV files. Add --csv PATH, or remove --x-column"),
    (["--drop-invalid-rows"], "--drop-invalid-rows only applies to CSV files"),
    (["--preset", "sine", "--thousands", "none"], "--thousands only applies to CSV files"),
    (["--dataset", "tips", "--x-min", "0"], "--x-min only applies to generated data, not to --dataset"),
    (["--csv", "{csv}", "--x-max", "3"], "--x-max only applies to generated data, not to --csv"),
    (["--csv", "{csv}", "--dataset", "iris"], "argument --dataset: not allowed with argument --csv"),
    (["--csv", "{csv}", "--preset", "sine"], "argument --preset: not allowed with argument --csv"),
    (["--dataset", "titanic"], "argument --dataset: invalid choice: 'titanic'"),
    (["--csv", "{csv}", "--delimiter", "pipe"], "argument --delimiter: invalid choice: 'pipe'"),
    (["--csv", "{csv}", "--x-column", "nope"], "There is no column named 'nope'. The columns are: 'x', 'y'"),
    (["--csv", "{csv}", "--x-column", "x", "--y-column", "x"], "Column 'x' was chosen for both x and y"),
    (["--csv", "{missing}"], "No file found at '.*missing.csv'"),
    (["--csv", "{empty}"], "The file is empty"),
    (["--csv", "{binary}"], "The file is not text: it contains NUL bytes"),
    (["--csv", "{csv}", "--decimal", "comma", "--thousands", "comma"], "both comma"),
]


@pytest.mark.parametrize(("arguments", "message"), INVALID_CSV_ARGUMENTS, ids=[" ".join(a)[:40] for a, _ in INVALID_CSV_ARGUMENTS])
def test_cli_csv_invalid_input_exits_2(capsys, tmp_path, models_dir, arguments, message):
    files = {
        "csv": tmp_path / "good.csv",
        "missing": tmp_path / "missing.csv",
        "empty": tmp_path / "empty.csv",
        "binary": tmp_path / "binary.csv",
    }
    files["csv"].write_text("x,y\n1,2\n2,3\n3,5\n")
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(b"x,y\x00\x00\x01\x02")
    filled = [argument.format(**{key: str(value) for key, value in files.items()}) for argument in arguments]

    code, out, err = run_main(capsys, "train", *filled, "--epochs", "2")

    assert_one_line_error(code, err, message)
    assert out == ""
    assert not models_dir.exists() or not any(models_dir.iterdir())
