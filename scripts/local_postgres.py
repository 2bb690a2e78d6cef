#!/usr/bin/env python3
"""A throwaway PostgreSQL server on loopback, from the Debian packages, for tests and trials.

    python scripts/local_postgres.py start DATA_DIR [--port 55432]   # prints the publisher DSN
    python scripts/local_postgres.py stop DATA_DIR

`start` creates a cluster in DATA_DIR (once), starts it on 127.0.0.1, and creates the database
`insights` owned by the login role `insights_publisher`, which has CREATEROLE but is neither a
superuser nor BYPASSRLS: the least the publishing step needs. Authentication is `trust` on
loopback only, so this server is for a developer machine or CI, never for serving a firm.
Install the server first with scripts/install-system-packages.sh. Stdlib only.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

SUPERUSER = "postgres"
PUBLISHER = "insights_publisher"
DATABASE = "insights"


class LocalPostgresError(RuntimeError):
    pass


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise LocalPostgresError(
            f"PostgreSQL's {name} was not found under /usr/lib/postgresql: "
            "run scripts/install-system-packages.sh"
        )
    return found[-1]  # the newest major version


def _as_server_user(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; the Debian package creates the postgres user
    if os.geteuid() == 0:
        return ["runuser", "-u", SUPERUSER, "--", *argv]
    return argv


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(argv: list[str]) -> str:
    done = subprocess.run(_as_server_user(argv), capture_output=True, text=True)
    if done.returncode != 0:
        raise LocalPostgresError(f"{Path(argv[0]).name} failed: {done.stderr.strip()}")
    return done.stdout


def _psql(port: int, sql: str, database: str = "postgres") -> str:
    return _run([_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER,
                 "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql])


def dsn(port: int, user: str = PUBLISHER, database: str = DATABASE) -> str:
    return f"postgresql://{user}@127.0.0.1:{port}/{database}"


def start(data_dir: Path, port: int | None = None) -> int:
    """Start (creating if needed) the cluster in data_dir; return its port."""
    data_dir = data_dir.resolve()
    port = port or free_port()
    fresh = not (data_dir / "PG_VERSION").exists()
    if fresh:
        data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            server_user = pwd.getpwnam(SUPERUSER)
            os.chown(data_dir, server_user.pw_uid, server_user.pw_gid)
        os.chmod(data_dir, 0o700)
        _run([_bin("initdb"), "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust",
              "--encoding=UTF8", "--locale=C.UTF-8"])
    _run([_bin("pg_ctl"), "-D", str(data_dir), "-l", str(data_dir / "server.log"), "-w",
          "-t", "60", "-o",
          f"-p {port} -c listen_addresses=127.0.0.1 -k {data_dir} -c fsync=off", "start"])
    if fresh:
        _psql(port, f"create role {PUBLISHER} login createrole")
        _psql(port, f"create database {DATABASE} owner {PUBLISHER}")
        _psql(port, f"revoke all on database {DATABASE} from public", database=DATABASE)
        _psql(port, f"grant connect on database {DATABASE} to {PUBLISHER}", database=DATABASE)
    return port


def stop(data_dir: Path) -> None:
    data_dir = data_dir.resolve()
    if (data_dir / "postmaster.pid").exists():
        _run([_bin("pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"])


def wait_gone(data_dir: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (data_dir / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def remove(data_dir: Path) -> None:
    stop(data_dir)
    wait_gone(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--port", type=int, default=55432)
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            port = start(args.data_dir, args.port)
            print(dsn(port))
        else:
            stop(args.data_dir)
    except LocalPostgresError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
