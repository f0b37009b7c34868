"""The command line: the default train and predict run as real processes, JSON output, and one-line
errors with exit status 2 for every kind of invalid input, including unsafe or damaged model files."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT, CreatesFileWhenUnpickled, run_numpattern

from numpattern.checkpoint import load_checkpoint, save_checkpoint
from numpattern.cli import main

PREDICTION_LINE = re.compile(r"^x = (\S+) -> y = (\S+)", re.MULTILINE)


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def run_main(capsys: pytest.CaptureFixture, *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, stderr: str, message: str) -> None:
    assert code == 2
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("numpattern: error: ")
    assert "Traceback" not in stderr
    assert re.search(message, stderr), stderr


# --- the default run, as real processes ---------------------------------------------------


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory):
    """``python -m numpattern train --json`` with every default, once for this module."""
    models = tmp_path_factory.mktemp("cli-default") / "models"
    completed = run_numpattern("train", "--json", models=models)
    return models, completed


def test_cli_default_train_reaches_r2(default_run):
    models, completed = default_run

    assert completed.returncode == 0, completed.stderr
    metrics = json.loads(completed.stdout)
    assert metrics["r2"] >= 0.9999
    assert metrics["epochs"] == 3000
    assert metrics["checkpoint"] == str(models / "latest.safetensors")
    assert files_in(models) == ["latest.safetensors"]


def test_cli_train_json_keeps_progress_off_stdout(default_run):
    _, completed = default_run

    assert len(completed.stdout.splitlines()) == 1
    assert "Training on y = 3*x + 2 for x from -10 to 10, 1000 points, noise 0" in completed.stderr
    assert "epoch   3000/3000" in completed.stderr


def test_cli_default_predict_near_17(default_run):
    models, _ = default_run

    completed = run_numpattern("predict", "5.0", models=models)

    assert completed.returncode == 0, completed.stderr
    (x_text, y_text), = PREDICTION_LINE.findall(completed.stdout)
    assert float(x_text) == 5.0
    assert abs(float(y_text) - 17.0) <= 0.05
    assert completed.stderr == ""


def test_cli_predict_json_rows(default_run):
    models, _ = default_run

    completed = run_numpattern("predict", "5.0", "-2", "50", "--json", models=models)

    assert completed.returncode == 0, completed.stderr
    rows = json.loads(completed.stdout)
    assert [set(row) for row in rows] == [{"x", "y", "extrapolated"}] * 3
    assert [row["x"] for row in rows] == [5.0, -2.0, 50.0]
    assert [row["extrapolated"] for row in rows] == [False, False, True]
    assert abs(rows[0]["y"] - 17.0) <= 0.05
    assert abs(rows[1]["y"] - (-4.0)) <= 0.05


def test_cli_models_lists_default_checkpoint(default_run):
    models, _ = default_run

    plain = run_numpattern("models", models=models)
    as_json = run_numpattern("models", "--json", models=models)

    assert plain.returncode == 0
    assert plain.stdout.startswith("latest: y = 3*x + 2 for x from -10 to 10, 1000 points, noise 0; neural network, 1 hidden layer of 10 neurons, ReLU")
    rows = json.loads(as_json.stdout)
    assert [row["name"] for row in rows] == ["latest"]
    assert rows[0]["valid"] is True
    assert rows[0]["r2"] >= 0.9999


def test_cli_card_records_command(default_run):
    models, _ = default_run

    card = load_checkpoint(models / "latest.safetensors").card

    assert card["command"] == "python -m numpattern train --json"
    assert card["training"]["epochs_run"] == 3000


@pytest.mark.parametrize(
    "arguments",
    [["train", "--epochs", "abc"], ["train", "--bogus"], ["predict", "nan"], ["train", "--formula", "sqrt(x)"]],
    ids=["bad-int", "unknown-option", "nan-x", "undefined-formula"],
)
def test_cli_process_invalid_input_one_line(run_cli, arguments, models_dir):
    completed = run_cli(*arguments)

    assert_one_line_error(completed.returncode, completed.stderr, ".")
    assert completed.stdout == ""
    assert files_in(models_dir) == []


def test_cli_process_payload_refused_without_running(run_cli, payload_file):
    path, marker = payload_file

    completed = run_cli("predict", "5", "--model", str(path))

    assert_one_line_error(completed.returncode, completed.stderr, "was not opened, because opening .* can run .*code")
    assert completed.stdout == ""
    assert not marker.exists()


def test_cli_predict_matches_library_before_saving(tiny_result, run_cli):
    x = [-12.5, -3.0, 0.0, 0.1, 7.75, 10.0, 42.0]
    before = tiny_result.predict(np.array(x))
    save_checkpoint(tiny_result, "reload-check")

    completed = run_cli("predict", *map(str, x), "--model", "reload-check", "--json")

    assert completed.returncode == 0, completed.stderr
    after = [row["y"] for row in json.loads(completed.stdout)]
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)


# --- invalid input, in this process for speed ---------------------------------------------

INVALID_ARGUMENTS = [
    ([], "the following arguments are required: command"),
    (["fly"], "invalid choice: 'fly'"),
    (["train", "--bogus"], "unrecognized arguments: --bogus"),
    (["train", "--epochs", "abc"], "argument --epochs: invalid int value: 'abc'"),
    (["train", "--epochs", "1.5"], "argument --epochs: invalid int value: '1.5'"),
    (["train", "--points", "ten"], "argument --points: invalid int value: 'ten'"),
    (["train", "--learning-rate", "fast"], "argument --learning-rate: invalid float value: 'fast'"),
    (["train", "--epochs", "0"], "Epochs must be between 1 and 100,000. You gave 0. Choose a value inside that range."),
    (["train", "--epochs", "9" * 400], "Epochs must be between 1 and 100,000. You gave 999999999999…9999 \\(a whole number with 400 digits\\)"),
    (["train", "--points", "5"], "Number of points must be between 10 and 1,000,000. You gave 5."),
    (["train", "--learning-rate", "100"], "Learning rate must be between 0.000001 and 10. You gave 100."),
    (["train", "--learning-rate", "-1"], "Learning rate must be between"),
    (["train", "--learning-rate", "nan"], "Learning rate must be a finite number between 0.000001 and 10. You gave nan."),
    (["train", "--validation-share", "0.9"], "Validation share must be between 0 and 0.5"),
    (["train", "--batch-size", "0"], "Batch size must be between 1 and"),
    (["train", "--noise", "-0.5"], "Noise level must be between 0 and 10"),
    (["train", "--seed", "-1"], "Seed must be between 0 and"),
    (["train", "--patience", "0"], "Early stopping patience must be between 1 and"),
    (["train", "--hidden", "0"], "Hidden layer width must be between 1 and 256. You gave 0."),
    (["train", "--hidden", "ten"], "--hidden must be whole numbers separated by commas, such as 10 or 64,64; got 'ten'"),
    (["train", "--hidden", ","], "An MLP needs at least one hidden layer"),
    (["train", "--hidden", "8,8,8,8,8"], "Number of hidden layers must be between 0 and 4. You gave 5."),
    (["train", "--activation", "swish"], "argument --activation: invalid choice: 'swish'"),
    (["train", "--optimizer", "rmsprop"], "argument --optimizer: invalid choice: 'rmsprop'"),
    (["train", "--x-min", "5", "--x-max", "1"], "The start of the x range \\(5\\) must be smaller than its end \\(1\\)"),
    (["train", "--x-min", "inf"], "The start of the x range must be a finite number between -1,000,000 and 1,000,000. You gave inf."),
    (["train", "--x-max", "1e9"], "The end of the x range must be between -1,000,000 and 1,000,000. You gave 1,000,000,000."),
    (["train", "--x-min", "-1e308"], "The start of the x range must be between -1,000,000 and 1,000,000. You gave -1e308."),
    (["train", "--formula", ""], "The formula is empty. Type one such as 3\\*x \\+ 2"),
    (["train", "--formula", "   "], "The formula is empty"),
    (["train", "--formula", "__import__('os')"], "'__import__' in .* is not an allowed function"),
    (["train", "--formula", "x.__class__"], "cannot use '.' to reach attributes"),
    (["train", "--formula", "sqrt(x)"], "'sqrt\\(x\\)' has no finite value at 500 of 1000 x values \\(for example x = -10,"),
    (["train", "--formula", "1/x", "--x-min", "-5", "--x-max", "5", "--points", "11"],
     "'1/x' has no finite value at 1 of 11 x values \\(for example x = 0\\) because it divides by zero"),
    (["train", "--preset", "nope"], "argument --preset: invalid choice: 'nope'"),
    (["train", "--preset", "linear", "--formula", "x"], "argument --formula: not allowed with argument --preset"),
    (["train", "--out", ".hidden"], "'.hidden' is not a valid checkpoint name because it starts with '.'"),
    (["train", "--out", "bad name!"], "'bad name!' is not a valid checkpoint name because it contains a space"),
    (["train", "--out", ""], "The checkpoint name is empty. Type a name such as my-model."),
    (["train", "--out", "CON"], "Windows reserves the name CON for a device"),
    (["train", "--out", "x" * 65], "is not a valid checkpoint name"),
    (["train", "--out", "../escape"], "--out '../escape' must end in .safetensors, or be a plain name"),
    (["train", "--out", "sub/model.pth"], "--out 'sub/model.pth' must end in .safetensors"),
    (["predict"], "the following arguments are required: x"),
    (["predict", "abc"], "'abc' is not a number. Enter x values such as 5, -2.5 or 1e3"),
    (["predict", "1", "abc"], "'abc' is not a number"),
    (["predict", "nan"], "'nan' is not a finite number"),
    (["predict", "inf"], "'inf' is not a finite number"),
    (["predict", "-inf"], "'-inf' is not a finite number"),
    (["predict", "5"], "There is no latest model at '.*latest.safetensors' yet. Train one first with 'python -m numpattern train'."),
    (["predict", "5", "--model", "missing-model"], "No checkpoint found at '.*missing-model.safetensors'"),
    (["predict", "5", "--model", "../missing.safetensors"], "No checkpoint found at '../missing.safetensors'"),
    (["predict", "5", "--model", ".hidden"], "'.hidden' is not a valid checkpoint name"),
    (["models", "--bogus"], "unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize(("arguments", "message"), INVALID_ARGUMENTS, ids=[" ".join(a)[:40] or "(none)" for a, _ in INVALID_ARGUMENTS])
def test_cli_invalid_input_exits_2(capsys, models_dir, arguments, message):
    code, out, err = run_main(capsys, *arguments)

    assert_one_line_error(code, err, message)
    assert out == ""
    assert files_in(models_dir) == []


def test_cli_error_says_how_to_get_help(capsys):
    code, _, err = run_main(capsys, "train", "--epochs", "abc")

    assert code == 2
    assert err.rstrip().endswith("Run 'python -m numpattern train --help' to see the options.")


def test_cli_damaged_model_exits_2(capsys, damage_case, damaged_checkpoints, tmp_path):
    data, message = damaged_checkpoints[damage_case]
    path = tmp_path / "damaged.safetensors"
    path.write_bytes(data)

    code, out, err = run_main(capsys, "predict", "1", "--model", str(path))

    assert_one_line_error(code, err, message)
    assert out == ""


def test_cli_payload_exits_2(capsys, payload_file):
    path, marker = payload_file

    code, _, err = run_main(capsys, "predict", "1", "--model", str(path))

    assert_one_line_error(code, err, "was not opened")
    assert not marker.exists()


def test_cli_pickle_named_like_checkpoint_exits_2(capsys, models_dir, tmp_path):
    marker = tmp_path / "named-payload-ran"
    models_dir.mkdir()
    (models_dir / "innocent.safetensors").write_bytes(pickle.dumps(CreatesFileWhenUnpickled(marker), protocol=4))

    code, _, err = run_main(capsys, "predict", "1", "--model", "innocent")

    assert_one_line_error(code, err, "'innocent.safetensors' is a Python pickle file and was not opened")
    assert not marker.exists()


def test_cli_divergence_exits_2_and_saves_nothing(capsys, models_dir):
    code, _, err = run_main(
        capsys, "train", "--formula", "x**2", "--x-min", "0", "--x-max", "5000", "--points", "100",
        "--epochs", "200", "--optimizer", "sgd", "--learning-rate", "10", "--out", "diverged",
    )

    assert_one_line_error(code, err, "Training diverged: .* The learning rate 10 is most likely too high .* try 1")
    assert files_in(models_dir) == []


# --- predict messages when no checkpoint can be loaded ---------------------------------------


def test_cli_predict_fresh_clone_message(run_cli, models_dir):
    models_dir.mkdir()
    for shipped in sorted((REPO_ROOT / "models").glob("[!.]*.safetensors")):
        shutil.copy(shipped, models_dir / shipped.name)

    missing = run_cli("predict", "5.0")
    suggested = re.search(r"--model (\S+)\.$", missing.stderr.strip())
    following = run_cli("predict", "5.0", "--model", suggested[1]) if suggested else None

    assert_one_line_error(
        missing.returncode,
        missing.stderr,
        "There is no latest model at '.*latest.safetensors' yet. Train one first with 'python -m numpattern train', "
        "or predict with a saved model such as --model linear-3x-plus-2.",
    )
    assert missing.stdout == ""
    assert following is not None
    assert following.returncode == 0, following.stderr
    assert following.stdout.startswith("x = 5 -> y = ")


@pytest.mark.parametrize("model", [None, "latest"], ids=["default", "named-latest"])
def test_cli_predict_no_models_message(capsys, models_dir, model):
    arguments = ["predict", "5"] + ([] if model is None else ["--model", model])

    code, out, err = run_main(capsys, *arguments)

    assert_one_line_error(code, err, "There is no latest model at .* Train one first with 'python -m numpattern train'.$")
    assert "--model" not in err
    assert out == ""


def test_cli_predict_missing_name_message(capsys, tiny_result, models_dir):
    save_checkpoint(tiny_result, "present")

    code, _, err = run_main(capsys, "predict", "5", "--model", "absent")

    assert_one_line_error(code, err, "No checkpoint found at '.*absent.safetensors'. Run 'python -m numpattern models'")


def test_cli_predict_folder_path_message(capsys, tiny_checkpoint_bytes, tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "b.safetensors").write_bytes(tiny_checkpoint_bytes)
    (folder / "a.safetensors").write_bytes(tiny_checkpoint_bytes)

    code, out, err = run_main(capsys, "predict", "5", "--model", str(folder))

    assert_one_line_error(
        code, err, f"'{re.escape(str(folder))}' is a folder, not a checkpoint file. Give a checkpoint file in it, "
        f"such as '{re.escape(str(folder / 'a.safetensors'))}'.",
    )
    assert out == ""


def test_cli_predict_empty_folder_path(capsys, tmp_path):
    code, _, err = run_main(capsys, "predict", "5", "--model", f"{tmp_path}/")

    assert_one_line_error(code, err, "is a folder, not a checkpoint file, and it holds no .safetensors files")


def test_cli_predict_folder_name_message(capsys, tmp_path, monkeypatch, models_dir):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "experiments").mkdir()

    code, _, err = run_main(capsys, "predict", "5", "--model", "experiments")

    assert_one_line_error(code, err, "'experiments' is a folder, not a checkpoint file")


def test_cli_predict_saved_name_before_folder(capsys, tiny_result, tmp_path, monkeypatch, models_dir):
    save_checkpoint(tiny_result, "experiments")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "experiments").mkdir()

    code, out, err = run_main(capsys, "predict", "5", "--model", "experiments")

    assert code == 0, err
    assert out.startswith("x = 5 -> y = ")


# --- outputs and overwriting --------------------------------------------------------------


def test_cli_existing_out_kept_without_overwrite(capsys, tiny_result, models_dir):
    path = save_checkpoint(tiny_result, "taken")
    original = path.read_bytes()

    code, out, err = run_main(capsys, "train", "--epochs", "5", "--out", "taken")

    assert_one_line_error(code, err, "already exists. Pass --overwrite to replace it, or choose another --out")
    assert out == ""
    assert path.read_bytes() == original


def test_cli_existing_out_replaced_with_overwrite(capsys, tiny_result, models_dir):
    path = save_checkpoint(tiny_result, "taken")

    code, out, _ = run_main(capsys, "train", "--epochs", "5", "--out", "taken", "--overwrite")

    assert code == 0
    assert f"Saved checkpoint: {path}" in out
    assert load_checkpoint(path).card["training"]["epochs_run"] == 5
    assert files_in(models_dir) == ["taken.safetensors"]


def test_cli_out_path_outside_models_folder(capsys, models_dir, tmp_path):
    target = tmp_path / "elsewhere" / "model.safetensors"

    code, _, _ = run_main(capsys, "train", "--epochs", "5", "--out", str(target))
    again, _, err = run_main(capsys, "train", "--epochs", "5", "--out", str(target))

    assert code == 0
    assert load_checkpoint(target).card["name"] == "model"
    assert files_in(models_dir) == []
    assert_one_line_error(again, err, "already exists")


def test_cli_train_options_reach_card(capsys, models_dir):
    code, _, _ = run_main(
        capsys, "train", "--preset", "quadratic", "--hidden", "16,16", "--activation", "tanh",
        "--epochs", "20", "--points", "50", "--noise", "0.1", "--seed", "3", "--batch-size", "8",
        "--validation-share", "0.25", "--out", "options",
    )

    card = load_checkpoint("options").card
    assert code == 0
    assert card["model_config"] == {"hidden_sizes": [16, 16], "activation": "tanh", "kind": "mlp"}
    assert card["training_config"]["batch_size"] == 8
    assert card["training_config"]["validation_fraction"] == 0.25
    assert card["training_config"]["seed"] == 3
    assert card["data"]["source"]["formula"] == "x**2"
    assert card["data"]["source"]["n_points"] == 50
    assert card["data"]["source"]["noise"] == 0.1


def test_cli_linear_model_with_lbfgs(capsys, models_dir):
    code, out, _ = run_main(capsys, "train", "--model-kind", "linear", "--optimizer", "lbfgs", "--epochs", "20", "--json")

    metrics = json.loads(out)
    card = load_checkpoint("latest").card
    assert code == 0
    assert metrics["r2"] > 0.9999
    assert card["model_config"]["kind"] == "linear"
    assert card["training_config"]["learning_rate"] == 1.0


def test_cli_predict_negative_and_outside_range(capsys, tiny_result, models_dir):
    save_checkpoint(tiny_result, "tiny")

    code, out, _ = run_main(capsys, "predict", "-2", "50", "--model", "tiny")

    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("x = -2 -> y = ")
    assert "outside the training range" not in lines[0]
    assert lines[1].startswith("x = 50 -> y = ")
    assert "(outside the training range" in lines[1]


def test_cli_models_empty_folder(capsys, models_dir):
    code, out, _ = run_main(capsys, "models")

    assert code == 0
    assert out.startswith(f"No checkpoints in {models_dir}. Create one with 'python -m numpattern train'.")


def test_cli_models_shows_broken_file(capsys, tiny_result, models_dir):
    save_checkpoint(tiny_result, "good")
    (models_dir / "broken.safetensors").write_bytes(b"\0" * 50)

    code, out, _ = run_main(capsys, "models")

    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("broken: invalid (")
    assert lines[1].startswith("good: y = 3*x + 2")


def test_cli_help_exits_0(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])

    assert exit_info.value.code == 0
    assert "{train,predict,models}" in capsys.readouterr().out


def test_cli_predict_negative_scientific_notation(capsys, tiny_result, models_dir):
    save_checkpoint(tiny_result, "tiny")

    code, out, err = run_main(capsys, "predict", "-1e3", "-2.5e-1", "-.5", "--model", "tiny")

    assert code == 0, err
    assert [x for x, _ in PREDICTION_LINE.findall(out)] == ["-1000", "-0.25", "-0.5"]


def test_cli_train_negative_scientific_range(capsys, models_dir):
    code, _, err = run_main(capsys, "train", "--x-min", "-1e1", "--x-max", "2e1", "--epochs", "5", "--points", "20")

    source = load_checkpoint("latest").card["data"]["source"]
    assert code == 0, err
    assert source["x_min"] == -10.0
    assert source["x_max"] == 20.0


@pytest.mark.parametrize("command", [["models"], ["train", "--epochs", "5"], ["predict", "1"]])
def test_models_dir_that_is_a_file_rejected(tmp_path, command):
    not_a_folder = tmp_path / "models.txt"
    not_a_folder.write_text("not a folder")

    completed = run_numpattern(*command, models=not_a_folder)

    assert completed.returncode == 2
    assert completed.stderr.strip().endswith("unset it to use models/ in the project.")
    assert "is a file, not a folder" in completed.stderr
    assert "epoch" not in completed.stdout
    assert not_a_folder.read_text() == "not a folder"
