.PHONY: run test lint sandbox bench

run:  ## install, migrate, seed and start Paydesk on the embedded default
	bin/run

test:  ## install what the tests need and run the whole suite
	bin/test

lint:
	.venv/bin/ruff check .

SANDBOX_PORT ?= 8100
sandbox:  ## only the five provider sandboxes (make sandbox SANDBOX_PORT=8200)
	.venv/bin/python manage.py runsandbox --port $(SANDBOX_PORT)

BENCH_ARGS ?=
bench:  ## every benchmark against its baseline, one summary (make bench BENCH_ARGS="--full", or "pages export")
	bin/venv requirements-dev.txt
	.venv/bin/python bench/run_all.py $(BENCH_ARGS)
