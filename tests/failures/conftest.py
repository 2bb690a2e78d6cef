"""Failures as a user meets them: one published firm, copied for each test, and the real
`insights` command line run against it (a closed port, a wrong secret, a full disk, a kill -9,
a batch the quality gate refuses)."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.serving.duckdb_file import switch_path
from tests.conftest import ANCHOR, make_settings, running_simulator

ROOT = Path(__file__).resolve().parents[2]
INSIGHTS = str(Path(sys.executable).with_name("insights"))
AS_OF = ANCHOR.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="session")
def simulator(small_world):
    with running_simulator(small_world) as server:
        yield server


def api_env(server, **extra) -> dict[str, str]:
    return {"INSIGHTS_API_URL": server.url, "INSIGHTS_API_CLIENT_ID": server.client_id,
            "INSIGHTS_API_CLIENT_SECRET": server.client_secret, "INSIGHTS_AS_OF": AS_OF,
            "INSIGHTS_API_PAGE_SIZE": "100", "INSIGHTS_API_CONCURRENCY": "2", **extra}


@pytest.fixture(scope="session")
def published_template(tmp_path_factory, simulator) -> Path:
    """One real refresh of the small firm; tests work on copies of this INSIGHTS_HOME."""
    home = tmp_path_factory.mktemp("published") / "home"
    settings = make_settings(home, **api_env(simulator))
    outcome = run_refresh(settings, ClientSpacesApi(settings))
    assert outcome.ok, (outcome.failed_steps, outcome.failed_checks)
    return home


@pytest.fixture
def home(tmp_path, published_template) -> Path:
    target = tmp_path / "home"
    shutil.copytree(published_template, target)
    return target


def serving_fingerprint(home: Path) -> tuple:
    """The serving catalog's and the generation switch's inode and bytes: equal means nothing
    was published."""
    serving = home / "serving" / "insights.duckdb"
    paths = [serving, switch_path(serving)]
    return tuple((path.stat().st_ino, hashlib.sha256(path.read_bytes()).hexdigest())
                 for path in paths)


def marts(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every mart as (columns, rows in a fixed order): plain values, so `==` compares them."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()]
        frames = {t: pl.from_arrow(con.sql(f'select * from marts."{t}"').to_arrow_table())
                  for t in tables}
    return {t: (f.columns, f.sort(f.columns, nulls_last=True).rows())
            for t, f in frames.items()}


def run_cli(args: list[str], home: Path, env: dict[str, str] | None = None, *, timeout=600,
            wrapper: list[str] | None = None) -> subprocess.CompletedProcess:
    """`insights ARGS` as a user runs it, with only the given settings in the environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INSIGHTS_")}
    environment.update({"INSIGHTS_HOME": str(home), **(env or {})})
    return subprocess.run([*(wrapper or []), INSIGHTS, *args], cwd=home.parent,
                          env=environment, capture_output=True, text=True, timeout=timeout)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def verdict(result: subprocess.CompletedProcess) -> str:
    """The last line of the output: the one-line summary of the failure."""
    lines = (result.stdout + result.stderr).strip().splitlines()
    return lines[-1] if lines else ""
