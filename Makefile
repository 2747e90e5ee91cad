# Two commands on a fresh machine: `make reports` and `make test`.
# Both create .venv by themselves (with uv, fast) and reuse it while pyproject.toml is unchanged.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MUTATION_STAMP := $(VENV)/.mutation-stamp
# rfc3987-syntax costs ~3 s at import in every Jupyter process; nothing here needs its IRI checks.
DROP_SLOW_IMPORT := $(BIN)/uv pip uninstall --quiet --python $(BIN)/python rfc3987-syntax 2>/dev/null || true
export UV_COMPILE_BYTECODE := 1
export PYTHONDONTWRITEBYTECODE :=

.PHONY: reports test lint benchmark explorer lab mutation chromium clean
.DEFAULT_GOAL := reports

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	@$(DROP_SLOW_IMPORT)
	@touch $@

$(MUTATION_STAMP): $(STAMP)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test,mutation]'
	@$(DROP_SLOW_IMPORT)
	@touch $@

## Build every HTML report and export into reports/ (the main job).
reports: $(STAMP)
	$(BIN)/sapa reports

## Run the whole test suite (installs Chromium for the browser test if it is missing and you are root), its files
## spread over the machine's cores (TEST_WORKERS=1 runs them in one process).
TEST_WORKERS ?= auto
test: lint chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

## The package's habits: the layer contract, lint and format (ruff), types (mypy).
lint: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check sapa_model
	$(BIN)/ruff format --check sapa_model
	$(BIN)/mypy

## Mutation testing (not part of `make test`): mutate the rules, the scenarios and the engine's risk, run the
## unit and property tests that reach each mutant, print the survivors and the score (see the README).
mutation: $(MUTATION_STAMP)
	$(BIN)/python tests/mutation/run.py

## Print build and compute timings.
benchmark: $(STAMP) chromium
	$(BIN)/python benchmarks/run.py

## Serve the scenario explorer as a web app (Voilà) on http://localhost:8866.
explorer: $(STAMP)
	$(BIN)/sapa explore

## Open JupyterLab on the notebooks.
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; \
	  else echo "The browser test needs Chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

clean:
	rm -rf $(VENV) mutants reports/national reports/kommuner reports/exports reports/assets reports/index.html
