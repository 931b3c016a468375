# The two commands a new user needs are `make demo` and `make test` (see README.md).
.PHONY: demo test bootstrap lint bench docs

VENV := .venv/bin

bootstrap:
	@bash scripts/bootstrap.sh

# `make demo PORT=8080` serves on another port.
demo: bootstrap
	@bash scripts/demo.sh $(if $(PORT),--port $(PORT))

test: bootstrap
	@bash scripts/services.sh
	@bash scripts/test.sh

lint: bootstrap
	$(VENV)/ruff check src tests bench examples
	$(VENV)/ruff format --check src tests bench examples
	$(VENV)/mypy

bench: bootstrap
	@bash scripts/services.sh
	$(VENV)/python bench/verify.py
	$(VENV)/python bench/guard.py
	$(VENV)/python bench/server.py
	$(VENV)/python bench/oauth_token.py

docs: bootstrap
	@bash scripts/docs.sh build
