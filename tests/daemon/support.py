"""Real Dagster services as processes for the scheduling test, and bounded waits on them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

VENV_BIN = Path(sys.executable).parent
T = TypeVar("T")


def environment_without_venv(**variables: str) -> dict[str, str]:
    """This process's environment minus the venv on PATH and any INSIGHTS_* / DAGSTER_*."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INSIGHTS_", "DAGSTER_")) and k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep)
        if p and Path(p).resolve() != VENV_BIN.resolve()
    ) or "/usr/bin:/bin"
    env.update(variables)
    return env


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, chars: int = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} (exit {self.process.poll()}) ---\n{text[-chars:]}"


def _stop(service: Service) -> None:
    # Each service leads its own process group, which holds what it started (the code server's
    # run workers and their dbt): end the group, by its id.
    group = service.process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        service.process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)  # whatever outlived the leader
    service.process.wait(timeout=30)


@contextlib.contextmanager
def running_services(
    commands: dict[str, list[str]], env: dict[str, str], cwd: Path, logs: Path
) -> Iterator[dict[str, Service]]:
    """Start each command in order (its own session, output to logs/NAME.log); stop them all."""
    logs.mkdir(parents=True, exist_ok=True)
    services: dict[str, Service] = {}
    try:
        for name, argv in commands.items():
            log = logs / f"{name}.log"
            with open(log, "w") as out:
                process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out,
                                           stderr=subprocess.STDOUT, start_new_session=True)
            services[name] = Service(name, process, log)
        yield services
    finally:
        for service in reversed(services.values()):
            _stop(service)


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    *,
    timeout: float,
    services: dict[str, Service],
    poll: float = 5.0,
) -> T:
    """probe() until it returns something; fail at the deadline or when a service dies."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        dead = [s for s in services.values() if s.process.poll() is not None]
        if dead or time.monotonic() > deadline:
            reason = f"{', '.join(s.name for s in dead)} exited" if dead else f"{timeout:.0f} s"
            logs = "\n".join(s.tail() for s in services.values())
            raise AssertionError(f"{what}: not seen ({reason})\n{logs}")
        time.sleep(poll)
