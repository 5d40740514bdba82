# The two commands a reviewer needs: `make repro` (sample pipeline) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)

.PHONY: install data repro rehearse test lint format clean-outputs app

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

data: install  ## fetch the sample world from the DVC remote inside the repo
	dvc pull data.dvc

repro: data  ## run the pipeline of the active profile (sample by default) and print the results
	dvc repro
	xstilts show

rehearse: data  ## the full profile's whole graph at tiny sizes against a local stand-in hub (minutes, offline)
	xstilts rehearse

app: install  ## the Gradio demo on http://127.0.0.1:7860 (after `make repro`); APP_ARGS="--models DIR ..."
	xstilts app $(APP_ARGS)

# One worker per core, each test file on one worker (a file's module fixtures, such as the
# end-to-end pipeline, are built once): the pipeline runs while the other files' tests run.
test: data  ## the test suite (CI runs exactly this)
	pytest -n auto --dist loadfile

lint: install
	ruff check .
	ruff format --check .

format: install
	ruff check --fix .
	ruff format .

clean-outputs:  ## remove pipeline outputs (not data/, not the DVC cache)
	rm -rf prepared models predictions metrics reports state
