.PHONY: run test lint sandbox

run:  ## install, migrate, seed and start Paydesk on the embedded default
	bin/run

test:  ## install what the tests need and run the whole suite
	bin/test

lint:
	.venv/bin/ruff check .

sandbox:  ## only the five provider sandboxes, on port 8100
	.venv/bin/python manage.py runsandbox --port 8100
