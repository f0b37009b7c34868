"""Command-line interface: ``python -m numpattern train|predict|models``.

Invalid input of any kind ends with exit status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import re
import shlex
import sys
from pathlib import Path
from typing import NoReturn, TextIO

from numpattern.checkpoint import (
    checkpoint_bytes,
    checkpoint_path,
    default_models_dir,
    list_checkpoints,
    load_checkpoint,
    require_folder,
    save_checkpoint,
    saved_names,
    write_atomically,
)
from numpattern.csv_format import DECIMAL_MARKS, DELIMITERS, THOUSANDS_SEPARATORS
from numpattern.csv_loading import CsvOptions, CsvProblemCellsError, load_csv_path
from numpattern.data import PRESETS, Dataset, DataSpec, generate
from numpattern.datasets import DATASETS, load_dataset
from numpattern.errors import NumpatternError
from numpattern.model import ACTIVATIONS, MODEL_KINDS, ModelConfig
from numpattern.prediction import parse_x_value
from numpattern.training import (
    FULL_BATCH_MAX_ROWS,
    LARGE_DATA_BATCH_SIZE,
    OPTIMIZERS,
    EpochReport,
    TrainingConfig,
    default_batch_size,
    train,
)

logger = logging.getLogger(__name__)

DEFAULT_CHECKPOINT = "latest"
EXIT_INVALID_INPUT = 2
PROGRESS_LINES = 20


class UsageError(Exception):
    """Raised by the argument parser instead of printing usage and exiting."""


# argparse in Python 3.11 takes only "-5" or "-.5" as negative numbers and reads "-1e3" or "-inf"
# as an unknown option. This wider pattern lets "predict -1e3" and "--x-min -1e3" work.
_NEGATIVE_NUMBER = re.compile(r"^-(\d|\.\d|inf$|infinity$|nan$)", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}. Run '{self.prog} --help' to see the options.")


def build_parser() -> argparse.ArgumentParser:
    defaults_model = ModelConfig()
    defaults_training = TrainingConfig()
    parser = _Parser(
        prog="python -m numpattern",
        description="Teach a small neural network a numeric pattern y = f(x), then predict with it.",
    )
    parser.add_argument("--verbose", action="store_true", help="log what happens to stderr")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    trainer = commands.add_parser("train", help="generate or read data, train a model and save a checkpoint")
    data = trainer.add_argument_group("data")
    source = data.add_mutually_exclusive_group()
    source.add_argument("--preset", choices=list(PRESETS), default=None, help="a ready-made curve (default: linear, y = 3*x + 2)")
    source.add_argument("--formula", help="your own formula in x, for example 'x**2 - 1' or 'sin(x)'")
    source.add_argument("--csv", metavar="PATH", help="train on two columns of numbers from your own CSV file")
    source.add_argument("--dataset", choices=list(DATASETS), help="a bundled real dataset: " + "; ".join(f"{name}: {info.title}" for name, info in DATASETS.items()))
    data.add_argument("--x-column", metavar="NAME", help="CSV column to use as x (default: the first column of numbers)")
    data.add_argument("--y-column", metavar="NAME", help="CSV column to use as y (default: the next column of numbers)")
    data.add_argument("--delimiter", choices=list(DELIMITERS.values()), help="character between CSV cells (default: detected)")
    data.add_argument("--decimal", choices=list(DECIMAL_MARKS.values()), help="decimal mark in the CSV numbers (default: detected)")
    data.add_argument("--thousands", choices=list(THOUSANDS_SEPARATORS.values()), help="thousands separator in the CSV numbers, or none (default: detected)")
    data.add_argument("--drop-invalid-rows", action="store_true", help="skip CSV rows whose x or y cell is empty or not a number, instead of stopping")
    data.add_argument("--x-min", type=float, help="start of the x range (default: depends on the preset)")
    data.add_argument("--x-max", type=float, help="end of the x range")
    data.add_argument("--points", type=int, default=DataSpec.n_points, help="number of (x, y) examples (default: %(default)s)")
    data.add_argument("--noise", type=float, default=0.0, help="noise as a share of the spread of y; 0.1 adds a little (default: %(default)s)")
    data.add_argument("--seed", type=int, default=0, help="seed for the noise, the split and the initial weights (default: %(default)s)")

    model = trainer.add_argument_group("model")
    model.add_argument("--model-kind", choices=MODEL_KINDS, default=defaults_model.kind, help="mlp (neural network) or linear (default: %(default)s)")
    model.add_argument("--hidden", default=",".join(map(str, defaults_model.hidden_sizes)), help="hidden layer widths separated by commas, for example 64,64 (default: %(default)s)")
    model.add_argument("--activation", choices=list(ACTIVATIONS), default=defaults_model.activation, help="activation function of the hidden layers (default: %(default)s)")

    training = trainer.add_argument_group("training")
    training.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults_training.optimizer, help="(default: %(default)s)")
    training.add_argument("--epochs", type=int, default=defaults_training.epochs, help="passes over the training data (default: %(default)s)")
    training.add_argument("--learning-rate", type=float, default=None, help="step size of the optimizer (default: 0.01, or 1 for lbfgs; fast ignores it)")
    training.add_argument("--batch-size", type=int, default=None, help=f"rows per update step (default: all rows at once; {LARGE_DATA_BATCH_SIZE} for --csv or --dataset data over {FULL_BATCH_MAX_ROWS:,} rows)")
    training.add_argument("--validation-share", type=float, default=defaults_training.validation_fraction, help="share of rows held out to check the fit (default: %(default)s)")
    training.add_argument("--patience", type=int, default=None, help="stop after this many epochs without a better validation loss")

    output = trainer.add_argument_group("output")
    output.add_argument("--out", default=None, help=f"checkpoint name in the models folder, or a file path (default: {DEFAULT_CHECKPOINT}, replaced on every run)")
    output.add_argument("--overwrite", action="store_true", help="replace the checkpoint given with --out if it exists")
    output.add_argument("--json", action="store_true", help="print the final metrics as JSON on stdout")

    predictor = commands.add_parser("predict", help="predict y for one or more x values")
    predictor.add_argument("x", nargs="+", help="x values, for example 5.0 or 1 2 3")
    predictor.add_argument("--model", default=None, help=f"checkpoint name or file path (default: {DEFAULT_CHECKPOINT}, written by 'train')")
    predictor.add_argument("--json", action="store_true", help="print a JSON list of {x, y, extrapolated}")

    lister = commands.add_parser("models", help="list stored checkpoints and their cards")
    lister.add_argument("--json", action="store_true", help="print the list as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        arguments = build_parser().parse_args(argv)
        logging.basicConfig(
            level=logging.INFO if arguments.verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        command = {"train": run_train, "predict": run_predict, "models": run_models}[arguments.command]
        return command(arguments, argv)
    except (UsageError, NumpatternError) as error:
        _fail(str(error))
    except BrokenPipeError:
        # The reader of stdout went away (for example '| head'): stop quietly, as Unix tools do,
        # and point stdout at /dev/null so Python's exit flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:
        _fail(f"Could not read or write '{error.filename}': {error.strerror}. Check the path and its permissions.")
    except KeyboardInterrupt:
        print("numpattern: interrupted; nothing was saved.", file=sys.stderr)
        return 130
    return EXIT_INVALID_INPUT


def _fail(message: str) -> None:
    # One line: a multi-line message would look like a traceback to the user.
    print(f"numpattern: error: {' '.join(message.split())}", file=sys.stderr)


def parse_hidden_sizes(text: str) -> tuple[int, ...]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise NumpatternError(
            f"--hidden must be whole numbers separated by commas, such as 10 or 64,64; got '{text}'."
        ) from None


def run_train(arguments: argparse.Namespace, argv: list[str]) -> int:
    check_data_options(arguments)
    model_config = ModelConfig(
        hidden_sizes=parse_hidden_sizes(arguments.hidden) if arguments.model_kind == "mlp" else (),
        activation=arguments.activation,
        kind=arguments.model_kind,
    )
    learning_rate = arguments.learning_rate
    if learning_rate is None:
        learning_rate = 1.0 if arguments.optimizer in ("lbfgs", "fast") else TrainingConfig.learning_rate
    training_config = TrainingConfig(
        epochs=arguments.epochs,
        learning_rate=learning_rate,
        optimizer=arguments.optimizer,
        batch_size=arguments.batch_size,
        validation_fraction=arguments.validation_share,
        seed=arguments.seed,
        early_stopping_patience=arguments.patience,
    )
    # Check the output name before training, so a bad name does not waste a run.
    target = _output_path(arguments.out)
    require_folder(target.parent)
    if arguments.out is not None and target.exists() and not arguments.overwrite:
        raise NumpatternError(f"'{target}' already exists. Pass --overwrite to replace it, or choose another --out.")

    dataset, read_notes = load_training_data(arguments)
    # L-BFGS always uses the full batch, so only the step-by-step optimizers get mini-batches.
    if (
        arguments.batch_size is None
        and dataset.source.get("kind") in ("csv", "dataset")
        and arguments.optimizer in ("adam", "sgd")
    ):
        training_config = dataclasses.replace(training_config, batch_size=default_batch_size(len(dataset.frame)))
    progress_stream = sys.stderr if arguments.json else sys.stdout
    for note in read_notes:
        print(note, file=progress_stream)
    print(f"Training on {dataset.describe()}", file=progress_stream)
    result = train(dataset, model_config, training_config, on_epoch=_progress_printer(progress_stream))

    command = "python -m numpattern " + shlex.join(argv)
    overwrite = arguments.overwrite or arguments.out is None
    if arguments.out is None or _looks_like_name(arguments.out):
        path = save_checkpoint(result, target.stem, target.parent, overwrite=overwrite, command=command)
    else:
        write_atomically(target, checkpoint_bytes(result, target.stem, command), overwrite=overwrite)
        path = target

    metrics = {**result.metrics, "epochs": result.epochs_run, "checkpoint": str(path)}
    if arguments.json:
        print(json.dumps(metrics))
    else:
        print(
            f"Done: R² {metrics['r2']:.6f}, MSE {metrics['mse']:.6g}, MAE {metrics['mae']:.6g}, "
            f"largest error {metrics['max_abs_error']:.6g}"
        )
        print(f"Saved checkpoint: {path}")
    return 0


CSV_ONLY_OPTIONS = {
    "x_column": "--x-column",
    "y_column": "--y-column",
    "delimiter": "--delimiter",
    "decimal": "--decimal",
    "thousands": "--thousands",
    "drop_invalid_rows": "--drop-invalid-rows",
}
GENERATED_ONLY_OPTIONS = {"x_min": "--x-min", "x_max": "--x-max"}


def check_data_options(arguments: argparse.Namespace) -> None:
    """Reject options that do not apply to the chosen data source, before any work is done."""
    if arguments.csv is None:
        for key, flag in CSV_ONLY_OPTIONS.items():
            if getattr(arguments, key):
                raise NumpatternError(f"{flag} only applies to CSV files. Add --csv PATH, or remove {flag}.")
    if arguments.csv is not None or arguments.dataset is not None:
        chosen = "--csv" if arguments.csv is not None else "--dataset"
        for key, flag in GENERATED_ONLY_OPTIONS.items():
            if getattr(arguments, key) is not None:
                raise NumpatternError(
                    f"{flag} only applies to generated data, not to {chosen}. Remove {flag}."
                )


def load_training_data(arguments: argparse.Namespace) -> tuple[Dataset, list[str]]:
    """Return the dataset chosen on the command line and lines that describe how it was read."""
    if arguments.csv is not None:
        options = CsvOptions(
            x_column=arguments.x_column,
            y_column=arguments.y_column,
            delimiter=_symbol(arguments.delimiter, DELIMITERS),
            decimal=_symbol(arguments.decimal, DECIMAL_MARKS),
            thousands=_symbol(arguments.thousands, THOUSANDS_SEPARATORS),
            drop_invalid_rows=arguments.drop_invalid_rows,
        )
        try:
            loaded = load_csv_path(arguments.csv, options)
        except CsvProblemCellsError as error:
            raise NumpatternError(f"{error} To train on the other rows, add --drop-invalid-rows.") from None
        return loaded.dataset, [loaded.describe()]
    if arguments.dataset is not None:
        return load_dataset(arguments.dataset), [DATASETS[arguments.dataset].description]
    spec = DataSpec(
        preset=arguments.preset or ("linear" if arguments.formula is None else None),
        formula=arguments.formula,
        x_min=arguments.x_min,
        x_max=arguments.x_max,
        n_points=arguments.points,
        noise=arguments.noise,
        seed=arguments.seed,
    )
    return generate(spec), []


def _symbol(name: str | None, symbols: dict[str, str]) -> str | None:
    """Map an option value such as 'semicolon' back to its character; None stays None (detect)."""
    if name is None:
        return None
    return next(symbol for symbol, symbol_name in symbols.items() if symbol_name == name)


def _looks_like_name(value: str) -> bool:
    return "/" not in value and "\\" not in value


def _output_path(out: str | None) -> Path:
    if out is None:
        return checkpoint_path(DEFAULT_CHECKPOINT, default_models_dir())
    if _looks_like_name(out):
        return checkpoint_path(out, default_models_dir())
    path = Path(out)
    if path.suffix != ".safetensors":
        raise NumpatternError(f"--out '{out}' must end in .safetensors, or be a plain name such as my-model.")
    # Create the folder now, so an impossible path fails before a whole training run.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise NumpatternError(f"--out '{out}': cannot create the folder '{path.parent}' ({error.strerror}).") from None
    return path


def _progress_printer(stream: TextIO):
    def report(progress: EpochReport) -> None:
        every = max(1, progress.epochs // PROGRESS_LINES)
        if progress.epoch % every and progress.epoch != progress.epochs:
            return
        filled = int(30 * progress.epoch / progress.epochs)
        bar = "#" * filled + "-" * (30 - filled)
        validation = (
            f"  validation loss {progress.validation_loss:.3e}" if progress.validation_loss is not None else ""
        )
        print(
            f"[{bar}] epoch {progress.epoch:>6}/{progress.epochs}  train loss {progress.train_loss:.3e}{validation}",
            file=stream,
            flush=True,
        )

    return report


def run_predict(arguments: argparse.Namespace, argv: list[str]) -> int:
    values = [parse_x_value(entry) for entry in arguments.x]
    folder = default_models_dir()
    checkpoint = load_checkpoint(_checkpoint_to_predict_with(arguments.model, folder), folder)
    table = checkpoint.prediction_table(values)
    if arguments.json:
        rows = [
            {"x": float(row.x), "y": float(row.y), "extrapolated": bool(row.extrapolated)}
            for row in table.itertuples()
        ]
        print(json.dumps(rows))
        return 0
    low, high = checkpoint.x_range
    for row in table.itertuples():
        note = f"  (outside the training range {low:g} to {high:g}: the model is guessing)" if row.extrapolated else ""
        print(f"x = {row.x:g} -> y = {row.y:.6g}{note}")
    return 0


def _checkpoint_to_predict_with(model: str | None, folder: Path) -> str | Path:
    """Return the --model value to load, or raise with the next step when there is nothing to load."""
    if model is None or model == DEFAULT_CHECKPOINT:
        require_folder(folder)
        path = checkpoint_path(DEFAULT_CHECKPOINT, folder)
        if not path.exists():
            raise NumpatternError(_no_default_checkpoint_message(path, folder))
        return path
    # A plain name normally means a saved checkpoint. When no checkpoint has that name but a folder
    # here does, the folder is what the user meant.
    if _looks_like_name(model) and Path(model).is_dir() and model not in saved_names(folder):
        return Path(model)
    return model


def _no_default_checkpoint_message(path: Path, folder: Path) -> str:
    message = f"There is no latest model at '{path}' yet. Train one first with 'python -m numpattern train'"
    names = saved_names(folder)
    if not names:
        return f"{message}."
    return f"{message}, or predict with a saved model such as --model {names[0]}."


def run_models(arguments: argparse.Namespace, argv: list[str]) -> int:
    folder = default_models_dir()
    table = list_checkpoints(folder)
    if arguments.json:
        print(table.to_json(orient="records"))
        return 0
    if table.empty:
        print(f"No checkpoints in {folder}. Create one with 'python -m numpattern train'.")
        return 0
    for row in table.itertuples():
        if not row.valid:
            print(f"{row.name}: invalid ({row.problem})")
            continue
        print(f"{row.name}: {row.data}; {row.model}; R² {row.r2:.6f}; x from {row.x_min:g} to {row.x_max:g}; created {row.created_at}")
    return 0
