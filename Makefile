# make demo / make test set everything up on a machine with only Python 3.11, pip and make.
# The virtual environment is rebuilt only when pyproject.toml or requirements.lock change.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench data clean

# Programs from the system's packages: GDAL's command-line tools (the tests check the GIS
# outputs with gdalinfo / ogrinfo), Chromium (report.pdf; the web map's browser tests) and a
# CJK font (maps in Chinese). Installed with apt-get where it can (Debian/Ubuntu as root);
# elsewhere it says what is missing and goes on: the demo draws English maps and an HTML
# report without them, and the tests that need them fail naming the package.
SYSTEM_PACKAGES := gdal-bin chromium fonts-noto-cjk
SYSTEM_STAMP := $(VENV)/.system

$(SYSTEM_STAMP):
	@mkdir -p $(VENV)
	@missing=""; \
	command -v gdalinfo >/dev/null 2>&1 || missing="$$missing gdal-bin"; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK\|WenQuanYi\|Source Han Sans" || \
	  missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      $$missing >/dev/null) || \
	      echo "warning: apt-get could not install$$missing"; \
	  else \
	    echo "warning: not installed:$$missing (install them with your package manager)"; \
	  fi; \
	fi
	touch $(SYSTEM_STAMP)

$(STAMP): pyproject.toml requirements.lock | $(SYSTEM_STAMP)
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
	$(BIN)/python benchmarks/season_scale.py

# Regenerate data/demo/ from the synthetic city generator (byte-identical for the same seed).
data: $(STAMP)
	$(BIN)/floodrisk synthetic --out data/demo --seed 7 --width 2000 --height 1500 --cell-size 5

clean:
	rm -rf $(VENV) runs .pytest_cache
