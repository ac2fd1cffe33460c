# make demo   - create .venv, install, run the end-to-end demo (plots and tables in out/demo)
# make test   - create .venv, install with dev extras, run lint and the whole test suite
# make notebooks - rebuild and run the notebooks at full size (their committed outputs and figures)
# make bench  - install the peer tools (bench extra), run the slow checks and the side-by-side
#               benchmarks; writes benchmarks/RESULTS.md (about an hour)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out/demo

# One BLAS thread: on a busy 2-core machine multi-threaded OpenBLAS turns a 0.2 s
# solve into a minute. JAX keeps its own thread pool.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: demo test bench lint notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-dev
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	touch $@

demo: $(VENV)/.installed-dev
	mkdir -p $(OUT)
	$(BIN)/bayesreg gaussian-mean --simulate 20 --mu-true 1.5 --sigma 2 --tau 1 --seed 0 \
		--out $(OUT) --json $(OUT)/gaussian_mean.json | tee $(OUT)/gaussian_mean.txt
	$(BIN)/bayesreg fit --data diabetes --prior laplace --tau 10 --sigma ols --method nuts,map --seed 0 \
		--save $(OUT)/models/diabetes_laplace --out $(OUT)/fit --json $(OUT)/fit.json \
		| tee $(OUT)/fit.txt
	$(BIN)/bayesreg compare --data diabetes --prior laplace --tau 10 --test-size 0.25 --seed 0 \
		--out $(OUT)/compare --json $(OUT)/compare.json | tee $(OUT)/compare.txt
	$(BIN)/bayesreg simulate linear --n 20,100 --p 5,20 --tau 0.5,2 --sigma 1 --replicates 100 --seed 0 \
		--out $(OUT)/simulate --json $(OUT)/simulate.json | tee $(OUT)/simulate.txt
	$(BIN)/bayesreg path --data diabetes --prior laplace --taus 0.1:1000:13 --seed 0 \
		--out $(OUT)/path --json $(OUT)/path.json | tee $(OUT)/path.txt
	$(BIN)/bayesreg naive-bayes --data mnist5k --classes 3,8 --copies 1,2,4,8,16 \
		--out $(OUT)/naive_bayes --json $(OUT)/naive_bayes.json | tee $(OUT)/naive_bayes.txt
	$(BIN)/bayesreg mlp train --data mnist5k --epochs 200 --seed 102 --save $(OUT)/models/mnist_mlp.npz \
		--out $(OUT)/mlp --json $(OUT)/mlp.json | tee $(OUT)/mlp.txt
	@echo "demo outputs in $(OUT)/"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check bayesreg tests benchmarks notebooks

test: lint
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-bench
	$(BIN)/python -m pytest -m slow
	$(BIN)/python benchmarks/run.py

# rebuild the notebooks from notebooks/_build.py and run them at full size, keeping their figures
notebooks: $(VENV)/.installed-dev
	$(BIN)/python notebooks/_build.py --run

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
