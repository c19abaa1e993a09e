# nianbao — two commands on a fresh machine: `make run` and `make test`.
PY        ?= python3
VENV      ?= .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
LS_VENV   ?= .venv-ls
OUT       ?= out/examples.jsonl

.PHONY: run test lint install bench report ls-venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,ray]'
	touch $(STAMP)

install: $(STAMP)

## Parse the bundled example corpus with the shipped model and print a summary.
run: $(STAMP)
	mkdir -p $(dir $(OUT))
	$(BIN)/nianbao parse examples -o $(OUT)

## The whole test suite (CI runs this through .ci/run).
test: $(STAMP) ls-venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

## Label Studio lives in its own venv: it pins pyarrow < 25, which our main env does not accept.
ls-venv: $(LS_VENV)/.installed
$(LS_VENV)/.installed:
	test -x $(LS_VENV)/bin/python || $(PY) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q label-studio || { [ "$$CI" = "true" ] && exit 1 || { echo "label-studio install failed: its integration test will skip"; exit 0; }; }
	touch $(LS_VENV)/.installed

clean:
	rm -rf $(VENV) $(LS_VENV) build *.egg-info out
