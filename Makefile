# axhdl: set-up and entry points. `make demo` and `make test` install what is missing first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.axhdl-installed
APT_PKGS := iverilog opensta qflow-tech-osu018 qflow-tech-osu035
JOBS    ?= 2

.PHONY: install system-tools demo test test-slow test-all bench lint clean

install: system-tools $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian packages: installed with apt-get when running as root, otherwise the exact command.
system-tools:
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "axhdl needs Debian packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

demo: install
	$(BIN)/axhdl demo

test: install
	$(BIN)/python -m pytest -q -m "not slow" -n $(JOBS)

test-slow: install
	$(BIN)/python -m pytest -q -m slow -n $(JOBS)

test-all: install
	$(BIN)/python -m pytest -q -n $(JOBS)

bench: install
	$(BIN)/python benchmarks/run.py

lint: install
	$(BIN)/ruff check axhdl generators testbenches synth tests benchmarks

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
