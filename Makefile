# Set-up is part of every target: a fresh clone needs only python3 (3.11) and make.
UV_VERSION := 0.13.8
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test test-heavy test-scale test-engines test-failures test-daemon lint bench-extraction bench-scale bench-refresh bench-operating-time system-packages docs

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on this project's CI
# machines) Python would otherwise compile every imported module from source in every process,
# about 6 s of each `insights refresh` and of each dbt invocation inside it.
.venv/.synced: uv.lock pyproject.toml $(UV)
	$(UV) sync --frozen --compile-bytecode
	.venv/bin/python -m compileall -q pipelines
	touch $@

demo: .venv/.synced
	.venv/bin/insights demo

# PostgreSQL, Java and Chromium from the Debian packages (skipped when present)
system-packages:
	scripts/install-system-packages.sh

test: .venv/.synced system-packages
	.venv/bin/pytest

# modules that run several real refreshes or dbt builds each (minutes; CI runs them)
test-heavy: .venv/.synced system-packages
	.venv/bin/pytest -m heavy

test-scale: .venv/.synced
	.venv/bin/pytest -m scale

# the dbt project on DuckDB, Spark and PostgreSQL, marts compared row for row (minutes)
test-engines: .venv/.synced system-packages
	.venv/bin/pytest -m engines

# each failure a user can meet, through the real command line (tests/failures, minutes)
test-failures: .venv/.synced
	.venv/bin/pytest -m failures

# the deployment (deploy/) for real: PostgreSQL storage, the daemon firing the refresh
# schedule every minute against the simulator (docs/deployment.md; minutes)
test-daemon: .venv/.synced system-packages
	.venv/bin/pytest -m daemon

lint: .venv/.synced
	.venv/bin/ruff check pipelines tests benchmarks

bench-extraction: .venv/.synced
	.venv/bin/python benchmarks/extraction_throughput.py

# refresh wall times (15- and 150-client firms) and live-mode lag; results in
# benchmarks/results/refresh_latency.json and refresh_latency.md (about half an hour)
bench-refresh: .venv/.synced
	.venv/bin/python benchmarks/refresh_latency.py

# 500 consecutive refreshes of a small simulated firm, with and without compaction;
# results in benchmarks/results/operating_time.json and operating_time.md
bench-operating-time: .venv/.synced
	.venv/bin/python benchmarks/operating_time.py

# The dbt documentation site, from the warehouse of the last `make demo` (or refresh)
docs: .venv/.synced
	.venv/bin/insights docs --output docs/dbt

# 1M and 10M documents generated into a temporary landing zone (benchmarks/results/tmp);
# results in benchmarks/results/scale_1m.json, scale_10m.json and scale.md
bench-scale: .venv/.synced
	.venv/bin/python benchmarks/scale.py --documents 1000000
	.venv/bin/python benchmarks/scale.py --documents 10000000
