# The two set-up commands of the README. Each installs what it needs first (tools/install.sh).
.PHONY: install test demo lint format

install:
	bash tools/install.sh

test: install
	bash tools/run_tests.sh

demo: install
	bash tools/run_demo.sh

lint: install
	.venv/bin/ruff check espnet_ext tests bench
	.venv/bin/black --check espnet_ext tests bench
	.venv/bin/isort --check-only espnet_ext tests bench

format: install
	.venv/bin/isort espnet_ext tests bench
	.venv/bin/black espnet_ext tests bench
