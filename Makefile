# The two commands a reviewer needs: `make repro` (sample pipeline) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)

.PHONY: install data repro rehearse test test-compile test-grid lint format clean-outputs app pretrained check-pretrained

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

data: install  ## fetch the sample world and its pretrained encoder from the DVC remote inside the repo
	dvc pull data.dvc pretrained.dvc

# The sample encoder is an artifact like data/, not a pipeline stage (see REPRODUCE.md): remake it
# after changing the corpus or params.yaml's base settings, then commit pretrained.dvc and dvc-remote/.
pretrained: install  ## regenerate pretrained/ from data/ and params.yaml (about 60 min on 2 cores), track and push it
	dvc pull data.dvc
	xstilts pretrain
	dvc add pretrained
	dvc push pretrained.dvc

check-pretrained: data  ## regenerate the encoder into a scratch folder and compare it byte for byte with pretrained/
	xstilts pretrain --check

# `xstilts repro` is `dvc repro` with independent stages side by side, one per core (JOBS=1: plain).
JOBS ?=
repro: data  ## run the pipeline of the active profile (sample by default) and print the results
	xstilts repro $(if $(JOBS),--jobs $(JOBS))
	xstilts show

rehearse: data  ## the full profile's whole graph at tiny sizes against a local stand-in hub (minutes, offline)
	xstilts rehearse

app: install  ## the Gradio demo on http://127.0.0.1:7860 (after `make repro`); APP_ARGS="--models DIR ..."
	xstilts app $(APP_ARGS)

# One worker per core, each test file on one worker (a file's module fixtures, such as the
# end-to-end pipeline, are built once): the pipeline runs while the other files' tests run.
test: data  ## the test suite (CI runs exactly this)
	pytest -n auto --dist loadfile

# torch.compile on CPU: inductor builds C++ kernels for every graph, minutes on 2 cores for what
# the other tests check in seconds (needs g++; CI runs it after `make test`).
test-compile: data  ## compiled training against eager training, alone and inside DDP
	pytest -m compile

# The sample profile's graph and the full profile's rehearsal as jobs on a one-node Slurm that
# the tests start on localhost (needs Debian's slurm-wlm and munge, and root; CI runs it after
# `make test`). About half an hour on 2 cores.
test-grid: data  ## the project's graphs through a local Slurm cluster (`xstilts grid`)
	pytest -m grid

lint: install
	ruff check .
	ruff format --check .

format: install
	ruff check --fix .
	ruff format .

clean-outputs:  ## remove pipeline outputs (not data/, not the DVC cache)
	rm -rf prepared models predictions metrics reports state perturbed lexicons neighbours augmented .grid
