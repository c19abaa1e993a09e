# nianbao — two commands on a fresh machine: `make run` and `make test`.
PY        ?= python3
VENV      ?= .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
LS_VENV   ?= .venv-ls
OUT       ?= out/examples.jsonl

.PHONY: run test lint lint-imports wheel-check install bench report ls-venv lock clean
VERSION   := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)

## Installs take the versions CI last passed with (constraints/*.txt, see `make lock`): a fresh install
## otherwise takes each dependency's newest release, and one such release broke Label Studio's server.
CONSTRAINTS    ?= constraints/main.txt
LS_CONSTRAINTS ?= constraints/label-studio.txt

$(STAMP): pyproject.toml setup.py $(CONSTRAINTS) $(wildcard inference/rules/*.py)  # the rule modules: compiled by setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c $(CONSTRAINTS) -e '.[dev,ray]'
	touch $(STAMP)

install: $(STAMP)

## Parse the bundled example corpus with the shipped model and print a summary; export the output to
## DuckDB beside it and show one parsed example's tables.
run: $(STAMP)
	mkdir -p $(dir $(OUT))
	$(BIN)/nianbao parse examples -o $(OUT)
	$(BIN)/nianbao export $(OUT) --to $(basename $(OUT)).duckdb
	$(BIN)/nianbao show --record $(OUT)#1

## The whole test suite (CI runs this through .ci/run).
test: $(STAMP) ls-venv
	$(BIN)/ruff check .
	$(MAKE) lint-imports
	$(BIN)/pytest -q
	$(MAKE) wheel-check

## The import contract (pyproject.toml [tool.importlinter]) on the package laid out as the wheel lays it out.
lint-imports: $(STAMP)
	$(BIN)/python tests/import_tree.py build/import-tree
	PYTHONPATH=build/import-tree $(BIN)/lint-imports --no-cache

## Build the wheel, install it into a fresh venv (torch from the local CPU wheel), parse the seeds with
## the model shipped inside it and compare the records to the editable install's.
WHEEL_DIR  ?= build/wheel
WHEEL_VENV ?= build/wheel-venv
wheel-check: $(STAMP)
	rm -rf $(WHEEL_DIR) $(WHEEL_VENV)
	$(BIN)/pip wheel -q --no-deps -w $(WHEEL_DIR) .
	$(PY) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install -q --upgrade pip
	$(WHEEL_VENV)/bin/pip install -q torch==2.13.0
	$(WHEEL_VENV)/bin/pip install -q -c $(CONSTRAINTS) $(WHEEL_DIR)/nianbao-$(VERSION)-*.whl
	$(BIN)/python tests/wheel_check.py $(WHEEL_VENV) $(VENV) ../shared/corpus/seeds

lint: $(STAMP)
	$(BIN)/ruff check .

## Label Studio lives in its own venv: it pins pyarrow < 25, which our main env does not accept.
## It asks for sentry-sdk >= 2.16 with no upper bound, and sentry-sdk 3.0 no longer takes the
## send_default_pii option Label Studio 1.23 starts it with (the server exits at start-up): kept below 3.
LS_PINS   ?= "sentry-sdk>=2.16,<3"
ls-venv: $(LS_VENV)/.installed
$(LS_VENV)/.installed:
	test -x $(LS_VENV)/bin/python || $(PY) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q -c $(LS_CONSTRAINTS) label-studio $(LS_PINS) || { [ "$$CI" = "true" ] && exit 1 || { echo "label-studio install failed: its integration test will skip"; exit 0; }; }
	touch $(LS_VENV)/.installed

## Release accuracy report: model+rules vs model tags alone vs rules-only, on every labelled real
## report and on a synthetic test set (committed per release; the HTML galleries are not).
report: $(STAMP)
	mkdir -p out
	$(BIN)/nianbao parse ../shared/corpus -o out/model.jsonl --no-progress
	$(BIN)/nianbao parse ../shared/corpus -o out/model-only.jsonl --no-cross-read --no-progress
	$(BIN)/nianbao parse ../shared/corpus --no-model -o out/rules.jsonl --no-progress
	$(BIN)/nianbao eval --gold labels/gold --pred model=out/model.jsonl --pred model_only=out/model-only.jsonl \
	  --pred rules=out/rules.jsonl --tagger models/nianbao-tagger \
	  --report evaluation/reports/$(VERSION).md --gallery out/gallery.html
	$(BIN)/python -m nianbao.evaluation.synth_testset --per-style 30 --seed 99 --out out/synth-test
	$(BIN)/nianbao parse out/synth-test/docs.jsonl -o out/synth-model.jsonl --no-progress
	$(BIN)/nianbao parse out/synth-test/docs.jsonl -o out/synth-model-only.jsonl --no-cross-read --no-progress
	$(BIN)/nianbao parse out/synth-test/docs.jsonl --no-model -o out/synth-rules.jsonl --no-progress
	$(BIN)/nianbao eval --gold out/synth-test/gold --pred model=out/synth-model.jsonl \
	  --pred model_only=out/synth-model-only.jsonl --pred rules=out/synth-rules.jsonl \
	  --report evaluation/reports/$(VERSION)-synthetic.md --gallery out/gallery-synthetic.html
	$(BIN)/python -m nianbao.evaluation.robustness --json evaluation/reports/$(VERSION)-robustness.json \
	  --markdown evaluation/reports/$(VERSION)-robustness.md
	$(BIN)/python -m nianbao.evaluation.synth_testset --html --per-style 30 --seed 99 --out out/synth-test-html
	$(BIN)/nianbao parse out/synth-test-html/docs.jsonl -o out/synth-html-model.jsonl --no-progress
	$(BIN)/nianbao parse out/synth-test-html/docs.jsonl --no-model -o out/synth-html-rules.jsonl --no-progress
	$(BIN)/nianbao eval --gold out/synth-test-html/gold --pred model=out/synth-html-model.jsonl \
	  --pred rules=out/synth-html-rules.jsonl --report evaluation/reports/$(VERSION)-synthetic-html.md
	$(BIN)/python -m nianbao.evaluation.skip_check ../shared/corpus out/synth-test/docs.jsonl \
	  out/synth-test-html/docs.jsonl --markdown evaluation/reports/$(VERSION)-skip.md

## Throughput benchmark (writes evaluation/reports/bench-$(VERSION).json).
bench: $(STAMP)
	$(BIN)/python -m nianbao.evaluation.bench_pipeline --n 1000 --workers 2 --glued-n 1000 --rss-n 10000 --rounds 3 \
	  --json evaluation/reports/bench-$(VERSION).json
	$(BIN)/python -m nianbao.evaluation.bench_tail --n 300 --stress-n 200 --per-kind 4 \
	  --json evaluation/reports/tail-$(VERSION).json

clean:
	rm -rf $(VENV) $(LS_VENV) build *.egg-info out

## Refresh constraints/*.txt from fresh, unconstrained installs (each dependency's newest release that
## pyproject.toml allows); then run `make test` on a clean clone before committing them.
LOCK_DIR ?= build/lock
lock:
	rm -rf $(LOCK_DIR) && mkdir -p $(LOCK_DIR)
	$(PY) -m venv $(LOCK_DIR)/main && $(LOCK_DIR)/main/bin/pip install -q --upgrade pip
	$(LOCK_DIR)/main/bin/pip install -q torch==2.13.0
	$(LOCK_DIR)/main/bin/pip install -q '.[dev,ray]'
	$(LOCK_DIR)/main/bin/pip freeze --exclude-editable | grep -v -E '^(nianbao|torch)( @|==)' > $(CONSTRAINTS)
	$(PY) -m venv $(LOCK_DIR)/ls && $(LOCK_DIR)/ls/bin/pip install -q label-studio $(LS_PINS)
	$(LOCK_DIR)/ls/bin/pip freeze > $(LS_CONSTRAINTS)
