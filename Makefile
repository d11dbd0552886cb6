# castlab: `make demo` and `make test` do all set-up on a fresh Debian machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBIAN_PACKAGES := abcmidi abcm2ps fluidsynth fluid-soundfont-gm chromium ncbi-blast+ mmseqs2 ffmpeg
export OMP_NUM_THREADS ?= 2

.PHONY: demo test bench ui debian venv lint clean

debian:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): requirements/base.txt requirements/dev.txt pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/base.txt -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: debian venv
	$(BIN)/castlab demo

test: debian venv  # -rs: say why each skipped test skipped
	$(BIN)/python -m pytest -rs

bench: debian venv  # every benchmark script; proteins.py last (it assembles the proteins page)
	for script in benchmarks/[!_]*.py; do \
	  [ $$script = benchmarks/proteins.py ] || $(BIN)/python $$script || exit 1; \
	done; $(BIN)/python benchmarks/proteins.py

ui: debian venv
	$(BIN)/castlab ui

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) castlab-report runs
