"""Checkpoints: round trips, safe names, atomic saves, folder listing, imports, and rejection of
pickles and of damaged or tampered files."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import DAMAGE_CASE_NAMES, REPO_ROOT, CreatesFileWhenUnpickled, split_checkpoint

from numpattern.checkpoint import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MAX_CHECKPOINT_BYTES,
    checkpoint_path,
    default_models_dir,
    delete_checkpoint,
    import_checkpoint,
    list_checkpoints,
    load_checkpoint,
    load_checkpoint_bytes,
    save_checkpoint,
    suggest_name,
    validate_name,
)
from numpattern.data import DataSpec, generate
from numpattern.errors import CheckpointError

X_GRID = np.linspace(-15.0, 15.0, 31)


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --- round trip -----------------------------------------------------------------------------


def test_checkpoint_round_trip_predictions_match(tiny_result, models_dir):
    path = save_checkpoint(tiny_result, "round-trip")

    loaded = load_checkpoint("round-trip")

    assert path == models_dir / "round-trip.safetensors"
    np.testing.assert_allclose(loaded.predict(X_GRID), tiny_result.predict(X_GRID), rtol=0, atol=1e-6)
    assert loaded.standardizer == tiny_result.standardizer
    assert loaded.model_config == tiny_result.model_config
    assert loaded.x_range == tiny_result.x_range
    assert loaded.name == "round-trip"


def test_checkpoint_card_records_run(tiny_result):
    save_checkpoint(tiny_result, "card", command="python -m numpattern train --epochs 150")

    card = load_checkpoint("card").card

    assert card["format"] == FORMAT_NAME
    assert card["format_version"] == FORMAT_VERSION
    assert card["name"] == "card"
    assert card["command"] == "python -m numpattern train --epochs 150"
    assert card["model_config"] == tiny_result.model_config.to_dict()
    assert card["standardizer"] == tiny_result.standardizer.to_dict()
    assert card["training_config"] == tiny_result.training_config.to_dict()
    assert card["data"]["source"] == tiny_result.data_source
    assert card["data"]["fingerprint"] == tiny_result.data_fingerprint
    assert card["data"]["x_range"] == list(tiny_result.x_range)
    assert card["metrics"] == tiny_result.metrics
    assert card["training"]["epochs_run"] == tiny_result.epochs_run
    assert set(card["versions"]) == {"numpattern", "torch", "safetensors", "python"}
    assert len(card["weights_sha256"]) == 64


def test_checkpoint_file_is_small(tiny_result):
    path = save_checkpoint(tiny_result, "small")

    assert path.stat().st_size < 8 * 1024


def test_checkpoint_load_by_path_and_by_name_agree(tiny_result, models_dir):
    path = save_checkpoint(tiny_result, "both-ways")

    by_name = load_checkpoint("both-ways.safetensors")
    by_path = load_checkpoint(path)
    by_text_path = load_checkpoint(str(path))

    np.testing.assert_array_equal(by_name.predict(X_GRID), by_path.predict(X_GRID))
    np.testing.assert_array_equal(by_name.predict(X_GRID), by_text_path.predict(X_GRID))


def test_checkpoint_prediction_table_flags_extrapolation(tiny_result):
    save_checkpoint(tiny_result, "table")
    low, high = tiny_result.x_range

    table = load_checkpoint("table").prediction_table([low - 1, low, (low + high) / 2, high, high + 1])

    assert table["extrapolated"].tolist() == [True, False, False, False, True]


def test_checkpoint_non_finite_weights_not_saved(tiny_result, models_dir):
    broken_model = copy.deepcopy(tiny_result.model)
    with torch.no_grad():
        broken_model[0].weight[0, 0] = math.nan
    broken = dataclasses.replace(tiny_result, model=broken_model)

    with pytest.raises(CheckpointError, match="non-finite weights, so it was not saved"):
        save_checkpoint(broken, "broken")

    assert files_in(models_dir) == []


def test_checkpoint_default_folder_from_environment(models_dir, monkeypatch):
    assert default_models_dir() == models_dir

    monkeypatch.delenv("NUMPATTERN_MODELS_DIR")

    assert default_models_dir() == REPO_ROOT / "models"


# --- names ----------------------------------------------------------------------------------


NAME_RULE_TEXT = (
    "Use only the ASCII letters a–z and A–Z, digits, '-', '_' and '.', 1 to 64 characters, "
    "starting with a letter or digit."
)
INVALID_NAMES = [
    ("../x", "contains '/'"),
    ("../../etc/passwd", "contains '/'"),
    ("/etc/passwd", "contains '/'"),
    ("a/b", "contains '/'"),
    ("a\\b", "contains '\\'"),
    (".hidden", "starts with '.'"),
    ("..", "starts with '.'"),
    ("a..b", "contains '..'"),
    ("-dash", "starts with '-'"),
    ("_under", "starts with '_'"),
    ("x" * 65, "is 65 characters long"),
    ("bad name", "contains a space"),
    ("naïve", "contains 'ï'"),
    ("модель-ñ", "contains 'м'"),
    ("tab\tname", "contains the invisible character '\\t'"),
    ("nul\x00", "contains the invisible character '\\x00'"),
]


@pytest.mark.parametrize(("name", "problem"), INVALID_NAMES, ids=[repr(name)[:20] for name, _ in INVALID_NAMES])
def test_checkpoint_name_invalid_rejected(name, problem, tiny_result, models_dir, tmp_path):
    with pytest.raises(CheckpointError) as raised:
        validate_name(name)
    with pytest.raises(CheckpointError, match="is not a valid checkpoint name"):
        save_checkpoint(tiny_result, name)

    message = str(raised.value)
    assert f"is not a valid checkpoint name because it {problem}. " in message
    assert message.endswith(NAME_RULE_TEXT)
    assert "\t" not in message
    assert "\x00" not in message
    assert files_in(models_dir) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["", "   ", ".safetensors", " .safetensors "])
def test_checkpoint_name_empty_message(name, tiny_result, models_dir):
    with pytest.raises(CheckpointError) as raised:
        validate_name(name)
    with pytest.raises(CheckpointError, match="The checkpoint name is empty"):
        save_checkpoint(tiny_result, name)

    assert str(raised.value) == "The checkpoint name is empty. Type a name such as my-model."
    assert files_in(models_dir) == []


@pytest.mark.parametrize(
    ("name", "device", "suggestion"),
    [
        ("CON", "CON", "CON-model"),
        ("con", "CON", "con-model"),
        ("Prn", "PRN", "Prn-model"),
        ("aux", "AUX", "aux-model"),
        ("NUL", "NUL", "NUL-model"),
        ("COM1", "COM1", "COM1-model"),
        ("com9", "COM9", "com9-model"),
        ("LPT1", "LPT1", "LPT1-model"),
        ("lpt9", "LPT9", "lpt9-model"),
        ("CON.v2", "CON", "CON-model.v2"),
        ("nul.safetensors", "NUL", "nul-model"),
    ],
)
def test_checkpoint_name_windows_device_rejected(name, device, suggestion, tiny_result, models_dir):
    with pytest.raises(CheckpointError) as raised:
        validate_name(name)
    with pytest.raises(CheckpointError, match="Windows reserves"):
        save_checkpoint(tiny_result, name)

    message = str(raised.value)
    assert f"Windows reserves the name {device} for a device" in message
    assert message.endswith(f"Choose another name, such as {suggestion}.")
    assert validate_name(suggestion) == suggestion
    assert files_in(models_dir) == []


@pytest.mark.parametrize("name", ["COM0", "LPT0", "COM10", "CONSOLE", "my-CON", "auxiliary", "nul-model.v2"])
def test_checkpoint_name_like_device_accepted(name):
    assert validate_name(name) == name


def test_list_checkpoints_device_name_invalid(tiny_checkpoint_bytes, models_dir):
    models_dir.mkdir()
    (models_dir / "CON.safetensors").write_bytes(tiny_checkpoint_bytes)
    (models_dir / "fine.safetensors").write_bytes(tiny_checkpoint_bytes)

    table = list_checkpoints()

    assert table["name"].tolist() == ["CON", "fine"]
    assert table["valid"].tolist() == [False, True]
    assert "Windows reserves the name CON" in table["problem"].iloc[0]


def test_checkpoint_name_not_text_rejected():
    with pytest.raises(CheckpointError, match="A checkpoint name must be text, got int"):
        validate_name(5)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("my-model", "my-model"), ("v1.2_final", "v1.2_final"), ("x.safetensors", "x"), (" spaced ", "spaced"),
     ("a" * 64, "a" * 64)],
)
def test_checkpoint_name_valid_accepted(name, expected, models_dir):
    assert validate_name(name) == expected
    assert checkpoint_path(name) == models_dir / f"{expected}.safetensors"


@pytest.mark.parametrize(
    "text",
    ["../../etc/passwd", "my model (1).safetensors", "..", "", ".safetensors", "/", "a" * 300, ".hidden", "x..y",
     "CON.safetensors", "con.v2.safetensors", "lpt1", "NUL." + "x" * 80],
)
def test_suggest_name_always_valid(text):
    suggested = suggest_name(text)

    assert validate_name(suggested) == suggested
    assert "/" not in suggested


# --- atomic saves ---------------------------------------------------------------------------


def test_checkpoint_save_leaves_no_temporary_files(tiny_result, models_dir):
    save_checkpoint(tiny_result, "first")
    save_checkpoint(tiny_result, "first", overwrite=True)
    with pytest.raises(CheckpointError):
        save_checkpoint(tiny_result, "first")

    assert files_in(models_dir) == ["first.safetensors"]


def test_checkpoint_existing_name_kept_without_overwrite(tiny_result, tiny_dataset, models_dir):
    path = save_checkpoint(tiny_result, "taken")
    original = path.read_bytes()
    other = dataclasses.replace(tiny_result, metrics={**tiny_result.metrics, "r2": 0.5})

    with pytest.raises(CheckpointError, match="A checkpoint named 'taken' already exists. Choose another name"):
        save_checkpoint(other, "taken")

    assert path.read_bytes() == original


def test_checkpoint_overwrite_replaces(tiny_result, models_dir):
    path = save_checkpoint(tiny_result, "replace-me")
    other = dataclasses.replace(tiny_result, metrics={**tiny_result.metrics, "r2": 0.5})

    save_checkpoint(other, "replace-me", overwrite=True)

    assert load_checkpoint(path).card["metrics"]["r2"] == 0.5
    assert files_in(models_dir) == ["replace-me.safetensors"]


def test_checkpoint_save_creates_folder(tiny_result, tmp_path):
    folder = tmp_path / "new" / "nested"

    path = save_checkpoint(tiny_result, "made", folder)

    assert path == folder / "made.safetensors"
    assert path.is_file()


# --- listing, deleting, importing -----------------------------------------------------------


def test_list_checkpoints_one_row_each(tiny_result, tiny_checkpoint_bytes, models_dir):
    save_checkpoint(tiny_result, "b-model", command="python -m numpattern train")
    save_checkpoint(tiny_result, "a-model")
    (models_dir / "c-broken.safetensors").write_bytes(b"not a checkpoint at all")
    (models_dir / ".tmp-half-written.safetensors").write_bytes(tiny_checkpoint_bytes[:100])
    (models_dir / "notes.txt").write_text("ignored")

    table = list_checkpoints()

    assert table["name"].tolist() == ["a-model", "b-model", "c-broken"]
    assert table["valid"].tolist() == [True, True, False]
    valid = table[table["valid"]]
    assert valid["r2"].tolist() == [tiny_result.metrics["r2"]] * 2
    assert valid["mse"].tolist() == [tiny_result.metrics["mse"]] * 2
    assert valid["x_min"].tolist() == [tiny_result.x_range[0]] * 2
    assert valid["x_max"].tolist() == [tiny_result.x_range[1]] * 2
    assert valid["epochs"].tolist() == [tiny_result.epochs_run] * 2
    assert valid["model"].tolist() == ["neural network, 1 hidden layer of 8 neurons, ReLU"] * 2
    assert valid["data"].tolist() == ["y = 3*x + 2 for x from -10 to 10, 60 points, noise 0"] * 2
    assert table.loc[table["name"] == "b-model", "command"].item() == "python -m numpattern train"
    assert valid["problem"].isna().all()
    broken_problem = table.loc[table["name"] == "c-broken", "problem"].item()
    assert "'c-broken.safetensors' is not a numpattern checkpoint" in broken_problem


def test_list_checkpoints_tampered_card_listed_as_invalid(damaged_checkpoints, models_dir):
    models_dir.mkdir()
    (models_dir / "tampered.safetensors").write_bytes(damaged_checkpoints["card-source-malformed"][0])

    table = list_checkpoints()

    assert table["valid"].tolist() == [False]
    assert "data source is malformed" in table["problem"].item()


@pytest.mark.parametrize("create", [False, True], ids=["missing-folder", "empty-folder"])
def test_list_checkpoints_empty(create, models_dir):
    if create:
        models_dir.mkdir()

    table = list_checkpoints()

    assert table.empty
    assert "name" in table.columns
    assert "valid" in table.columns


def test_delete_checkpoint_removes_file(tiny_result, models_dir):
    save_checkpoint(tiny_result, "short-lived")

    delete_checkpoint("short-lived")

    assert files_in(models_dir) == []
    with pytest.raises(CheckpointError, match="No checkpoint named 'short-lived' was found"):
        delete_checkpoint("short-lived")


def test_delete_checkpoint_name_cannot_escape(tmp_path):
    outside = tmp_path / "outside.safetensors"
    outside.write_bytes(b"keep")

    with pytest.raises(CheckpointError, match="not a valid checkpoint name"):
        delete_checkpoint("../outside")

    assert outside.read_bytes() == b"keep"


def test_import_checkpoint_valid_bytes_stored(tiny_checkpoint_bytes, models_dir):
    path = import_checkpoint(tiny_checkpoint_bytes, "My Upload (2).safetensors")

    assert path == models_dir / "My-Upload-2.safetensors"
    assert path.read_bytes() == tiny_checkpoint_bytes
    assert load_checkpoint("My-Upload-2").card["name"] == "tiny"


def test_import_checkpoint_explicit_name(tiny_checkpoint_bytes, models_dir):
    path = import_checkpoint(tiny_checkpoint_bytes, "upload.safetensors", name="chosen")

    assert path == models_dir / "chosen.safetensors"


def test_import_checkpoint_existing_name_kept(tiny_checkpoint_bytes, damaged_checkpoints, models_dir):
    import_checkpoint(tiny_checkpoint_bytes, "same.safetensors")
    other, _ = damaged_checkpoints["card-x-range-reversed"]

    with pytest.raises(CheckpointError, match="already exists"):
        import_checkpoint(tiny_checkpoint_bytes, "same.safetensors")

    assert (models_dir / "same.safetensors").read_bytes() == tiny_checkpoint_bytes
    assert other != tiny_checkpoint_bytes


def test_import_checkpoint_invalid_writes_nothing(damage_case, damaged_checkpoints, models_dir):
    data, message = damaged_checkpoints[damage_case]

    with pytest.raises(CheckpointError, match=message):
        import_checkpoint(data, "upload.safetensors")

    assert files_in(models_dir) == []


def test_import_checkpoint_pickle_writes_nothing(tmp_path, models_dir):
    marker = tmp_path / "import-payload-ran"

    with pytest.raises(CheckpointError, match="is a Python pickle file and was not opened"):
        import_checkpoint(pickle.dumps(CreatesFileWhenUnpickled(marker)), "model.safetensors")

    assert files_in(models_dir) == []
    assert not marker.exists()


# --- rejected files -------------------------------------------------------------------------


def test_damage_cases_match_builder(damaged_checkpoints):
    assert sorted(damaged_checkpoints) == sorted(DAMAGE_CASE_NAMES)


def test_damage_cases_differ_from_good_file(damaged_checkpoints, tiny_checkpoint_bytes):
    for name, (data, _) in damaged_checkpoints.items():
        assert data != tiny_checkpoint_bytes, name


def test_load_checkpoint_damaged_rejected(damage_case, damaged_checkpoints, tmp_path):
    data, message = damaged_checkpoints[damage_case]
    path = tmp_path / "damaged.safetensors"
    path.write_bytes(data)

    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint_bytes(data, "damaged.safetensors")


def test_payload_files_really_run_code_when_unpickled(tmp_path):
    # Shows that the payloads used below are live, so their markers staying absent means something.
    pickle_marker = tmp_path / "pickle-control"
    torch_marker = tmp_path / "torch-control"
    torch_file = tmp_path / "control.pth"
    torch.save({"state_dict": CreatesFileWhenUnpickled(torch_marker)}, torch_file)

    pickle.loads(pickle.dumps(CreatesFileWhenUnpickled(pickle_marker), protocol=4)).close()
    torch.load(torch_file, weights_only=False)["state_dict"].close()

    assert pickle_marker.exists()
    assert torch_marker.exists()


def test_load_checkpoint_payload_rejected_without_running(payload_file):
    path, marker = payload_file

    with pytest.raises(CheckpointError, match="was not opened, because opening .* can run .*code"):
        load_checkpoint(path)

    assert not marker.exists()


def test_load_checkpoint_old_pickle_protocol_rejected(tmp_path):
    marker = tmp_path / "protocol-0-payload-ran"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps(CreatesFileWhenUnpickled(marker), protocol=0))

    with pytest.raises(CheckpointError, match="is not a numpattern checkpoint"):
        load_checkpoint(path)

    assert not marker.exists()


def test_load_checkpoint_too_large_rejected(tmp_path):
    path = tmp_path / "huge.safetensors"
    path.write_bytes(b"\0" * (MAX_CHECKPOINT_BYTES + 1))

    with pytest.raises(CheckpointError, match="'huge.safetensors' is 4.2 MB; numpattern checkpoints are at most 4 MB"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="numpattern checkpoints are at most 4 MB"):
        load_checkpoint_bytes(path.read_bytes(), "huge.safetensors")


@pytest.mark.parametrize("name", ["missing", "missing.safetensors"])
def test_load_checkpoint_missing_names_models_command(name, models_dir):
    with pytest.raises(CheckpointError, match="No checkpoint found at .*missing.safetensors'. Run 'python -m numpattern models'"):
        load_checkpoint(name)


def test_load_checkpoint_folder_rejected(tmp_path):
    with pytest.raises(CheckpointError, match="is a folder, not a checkpoint file, and it holds no .safetensors files"):
        load_checkpoint(tmp_path)


def test_load_checkpoint_folder_names_file_inside(tiny_checkpoint_bytes, tmp_path):
    (tmp_path / "inside.safetensors").write_bytes(tiny_checkpoint_bytes)
    (tmp_path / ".tmp-partial.safetensors").write_bytes(b"")

    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(tmp_path)

    assert str(raised.value) == (
        f"'{tmp_path}' is a folder, not a checkpoint file. "
        f"Give a checkpoint file in it, such as '{tmp_path / 'inside.safetensors'}'."
    )


def test_load_checkpoint_card_split_helper_reads_good_file(tiny_checkpoint_bytes):
    # The damage table is built with split_checkpoint, so it must read our own files correctly.
    _, card, tensors = split_checkpoint(tiny_checkpoint_bytes)

    assert card["name"] == "tiny"
    assert set(tensors) == {"0.weight", "0.bias", "2.weight", "2.bias"}


# --- the checkpoints shipped in the repository (read only) ----------------------------------

SHIPPED_DIR = REPO_ROOT / "models"


@pytest.mark.parametrize("name", ["linear-3x-plus-2", "quadratic-x-squared"])
def test_shipped_checkpoint_small_and_made_by_cli(name):
    path = SHIPPED_DIR / f"{name}.safetensors"

    card = load_checkpoint(path).card

    assert path.stat().st_size < 8 * 1024
    assert card["command"].startswith("python -m numpattern train ")
    assert card["command"].endswith(f"--out {name}")
    assert card["name"] == name


def test_shipped_linear_predicts_17_at_5():
    checkpoint = load_checkpoint(SHIPPED_DIR / "linear-3x-plus-2.safetensors")

    (y,) = checkpoint.predict(np.array([5.0]))

    assert abs(y - 17.0) <= 0.05
    assert checkpoint.card["data"]["source"]["formula"] == "3*x + 2"


def test_shipped_quadratic_predicts_4_at_2():
    checkpoint = load_checkpoint(SHIPPED_DIR / "quadratic-x-squared.safetensors")
    source = checkpoint.card["data"]["source"]
    training_data = generate(
        DataSpec(preset=None, formula=source["formula"], x_min=source["x_min"], x_max=source["x_max"],
                 n_points=source["n_points"])
    )
    y_range = np.ptp(training_data.y)

    (y,) = checkpoint.predict(np.array([2.0]))

    assert source["formula"] == "x**2"
    assert y_range == pytest.approx(9.0, rel=1e-4)
    assert abs(y - 4.0) <= 0.02 * y_range
