"""A real, throwaway PostgreSQL server on loopback, started by the project's own script."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "local_postgres.py"
_spec = importlib.util.spec_from_file_location("local_postgres", _SCRIPT)
local_postgres = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(local_postgres)


@dataclass
class PostgresServer:
    data_dir: Path
    port: int

    @property
    def publisher_dsn(self) -> str:
        return local_postgres.dsn(self.port)

    def dsn_for(self, role: str) -> str:
        return local_postgres.dsn(self.port, user=role)

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn_for(local_postgres.SUPERUSER), autocommit=True)

    def connect_as(self, role: str) -> psycopg.Connection:
        return psycopg.connect(self.dsn_for(role), autocommit=True)


def start_server() -> PostgresServer:
    # the server runs as the postgres user, which must be able to reach the data folder
    parent = Path(tempfile.mkdtemp(prefix="insights-pg-test-"))
    os.chmod(parent, 0o755)
    data_dir = parent / "data"
    port = local_postgres.start(data_dir)
    return PostgresServer(data_dir, port)


def stop_server(server: PostgresServer) -> None:
    local_postgres.remove(server.data_dir)
    server.data_dir.parent.rmdir()


@contextlib.contextmanager
def running_server():
    server = start_server()
    try:
        yield server
    finally:
        stop_server(server)
