"""Session-state keys, named once and prefixed by the page or feature that owns them."""

# Data page
DATA_DATASET = "data.dataset"  # numpattern.data.Dataset chosen for training
DATA_MODE = "data.mode"
DATA_PRESET = "data.preset"
DATA_FORMULA = "data.formula"
DATA_X_MIN = "data.x_min"
DATA_X_MAX = "data.x_max"
DATA_POINTS = "data.points"
DATA_NOISE = "data.noise"
DATA_SEED = "data.seed"
DATA_UPLOAD = "data.upload"
DATA_DELIMITER = "data.delimiter"
DATA_DECIMAL = "data.decimal"
DATA_THOUSANDS = "data.thousands"
DATA_X_COLUMN = "data.x_column"  # suffixed with the upload's file id
DATA_Y_COLUMN = "data.y_column"
DATA_DROP_INVALID = "data.drop_invalid"
DATA_BUNDLED = "data.bundled"

# Every page
INVALID_INPUTS = "inputs.invalid"  # names of inputs out of range in this page run

# Training (the Train page and the start page's demo)
TRAIN_JOB = "train.job"  # the running numpattern.jobs.TrainingJob, if any
TRAIN_RUNS = "train.runs"  # list of dashboard.runs.Run, oldest first
TRAIN_NEXT_RUN_ID = "train.next_run_id"
TRAIN_LIVE_FIGURES = "train.live_figures"  # (job, numpattern.figures.LiveFigures) of the running job
TRAIN_NOTICE = "train.notice"  # one message to show after a run ends
TRAIN_RESULT_CACHE = "train.result_cache"  # numpattern.result_cache.ResultCache of this session
TRAIN_HIDDEN_LAYERS = "train.hidden_layers"
TRAIN_WIDTH = "train.width"
TRAIN_MODEL_KIND = "train.model_kind"
TRAIN_ACTIVATION = "train.activation"
TRAIN_OPTIMIZER = "train.optimizer"
TRAIN_LEARNING_RATE = "train.learning_rate"
TRAIN_EPOCHS = "train.epochs"
TRAIN_BATCH_SIZE = "train.batch_size"
TRAIN_VALIDATION = "train.validation"
TRAIN_SEED = "train.seed"
TRAIN_COMPARE = "train.compare"
TRAIN_SAVE_NAME = "train.save_name"

# Predict page
PREDICT_SOURCE = "predict.source"
PREDICT_X_TEXT = "predict.x_text"

# Models page
MODELS_SAVED_NAMES = "models.saved_names"  # checkpoint names this session saved or uploaded
MODELS_SELECTED = "models.selected"
MODELS_SELECT_NEXT = "models.select_next"  # a checkpoint name to select on the next run
MODELS_UPLOAD = "models.upload"  # suffixed with MODELS_UPLOAD_ROUND
MODELS_UPLOAD_ROUND = "models.upload_round"  # raised after an import, which empties the upload box
MODELS_NOTICE = "models.notice"  # one message to show after the page reruns
