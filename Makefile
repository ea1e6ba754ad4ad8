# make demo / make test set everything up on a machine with only Python 3.11, pip and make.
# The virtual environment is rebuilt only when pyproject.toml or requirements.lock change.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench data clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/floodrisk demo --out runs

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/synthetic_scale.py
	$(BIN)/python benchmarks/capacity_scale.py
	$(BIN)/python benchmarks/screening_scale.py
	$(BIN)/python benchmarks/swmm_scale.py
	$(BIN)/python benchmarks/surface_speed.py
	$(BIN)/python benchmarks/coupled_scale.py
	$(BIN)/python benchmarks/assess_scale.py

# Regenerate data/demo/ from the synthetic city generator (byte-identical for the same seed).
data: $(STAMP)
	$(BIN)/floodrisk synthetic --out data/demo --seed 7 --width 2000 --height 1500 --cell-size 5

clean:
	rm -rf $(VENV) runs .pytest_cache
