"""What went wrong, in one line a data team can act on.

A failure reaches the command line as a Dagster step's error (a chain of causes, outermost
first) or as an exception escaping the run (the run's own storage could not be written, for
example on a full disk). Both are reduced here to one line naming the cause: the disk that is
full, the API address that refuses connections, the credentials the API refused, or else the
innermost error of the chain. Tracebacks are for `--debug` (INSIGHTS_DEBUG=1) only.
"""

from __future__ import annotations

import errno
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

# below this much free space, an I/O error on that device is reported as a full disk
NEARLY_FULL_BYTES = 16 * 1024 * 1024
_NO_SPACE = ("no space left on device", "database or disk is full", f"[errno {errno.ENOSPC}]")
_IO_ERROR = ("disk i/o error", "io error", "i/o error", "could not write", "input/output error")
_TOO_LARGE = ("file too large", f"[errno {errno.EFBIG}]")
_PATH = re.compile(r"(/[\w.@+\-]+(?:/[\w.@+\-]+)+)")


def chain_of_error_info(error) -> list[tuple[str, str]]:
    """(class name, message) of a Dagster SerializableErrorInfo and its causes."""
    chain = []
    while error is not None:
        chain.append((error.cls_name or "", " ".join((error.message or "").split())))
        error = error.cause or getattr(error, "context", None)
    return chain


def chain_of_exception(error: BaseException | None) -> list[tuple[str, str]]:
    chain, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        text = str(error)
        if isinstance(error, OSError) and error.filename and str(error.filename) not in text:
            text += f": {error.filename}"
        chain.append((type(error).__name__, " ".join(text.split())))
        error = error.__cause__ or error.__context__
    return chain


def _free_bytes(path: Path) -> int | None:
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def _path_in(messages: Iterable[str], home: Path) -> Path:
    """The file an error names (preferring one under INSIGHTS_HOME), else INSIGHTS_HOME."""
    found = [Path(match) for text in messages for match in _PATH.findall(text)]
    under_home = [p for p in found if str(p).startswith(str(home))]
    return (under_home or found or [home])[0]


def describe(chain: list[tuple[str, str]], home: Path) -> str:
    """One line for a chain of (class name, message), outermost first."""
    if not chain:
        return "unknown error"
    lowered = [message.lower() for _, message in chain]
    messages = [message for _, message in chain]
    names = [name for name, _ in chain]
    if any(marker in text for text in lowered for marker in _NO_SPACE) or (
        any(marker in text for text in lowered for marker in _IO_ERROR)
        and (_free_bytes(home) or 0) < NEARLY_FULL_BYTES
    ):
        path = _path_in(messages, home)
        free = _free_bytes(path)
        left = f" ({free // 1024:,} KiB free)" if free is not None else ""
        return f"no space left on the device of {path}{left}"
    if any(marker in text for text in lowered for marker in _TOO_LARGE):
        return (f"a file size limit (ulimit -f) stopped the write of "
                f"{_path_in(messages, home)}")
    for wanted in ("ApiUnreachable", "AuthenticationError", "SettingsError", "WriterBusy"):
        if wanted in names:
            return _strip_class(messages[names.index(wanted)])
    name, message = chain[-1]
    message = _strip_class(message)
    return message if message.startswith(name) else f"{name}: {message}"[:500]


def _strip_class(message: str) -> str:
    """'pipelines.x.ApiError: text' -> 'text' (Dagster prefixes the class path)."""
    return re.sub(r"^[\w.]+(Error|Exception|Unreachable|Failure|Busy): ", "", message)[:500]


def skipped_steps(records) -> list[str]:
    """Steps not run because a step they depend on failed: Dagster says so in a log message
    per step ("... Not executing."), not in an event."""
    return sorted({r.step_key for r in records if r.dagster_event is None and r.step_key
                   and (r.user_message or "").endswith("Not executing.")})


def group_causes(step_causes: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Steps that failed for the same cause, in order of first failure."""
    grouped: dict[str, list[str]] = {}
    for step, cause in step_causes.items():
        grouped.setdefault(cause, []).append(step)
    return list(grouped.items())


def failure_lines(step_causes: dict[str, str], skipped: int, failed_checks: list[str],
                  held: list, published: str) -> list[str]:
    """The short summary after a failed refresh; its last line is the one-line verdict."""
    lines = []
    grouped = group_causes(step_causes)
    for cause, steps in grouped[1:]:
        lines.append(f"also failed: {', '.join(steps)}: {cause}")
    if skipped:
        lines.append(f"{skipped} dependent step(s) not run.")
    for hold in held:
        lines.append(f"held: batch {hold.batch_id} ({hold.entity}), refused by "
                     f"{', '.join(hold.checks)}: {hold.reason}. Its rows stay out of the marts "
                     f"until `insights release {hold.batch_id}` (see `insights status`).")
    if failed_checks and not grouped:
        lines.append(f"Refresh FAILED: blocking check(s) failed: {', '.join(failed_checks)}; "
                     f"{published}")
    elif grouped:
        cause, steps = grouped[0]
        more = f" (and {', '.join(steps[1:])}, same cause)" if len(steps) > 1 else ""
        checks = f"; blocking check(s) failed: {', '.join(failed_checks)}" if failed_checks else ""
        lines.append(f"Refresh FAILED in {steps[0]}{more}: {cause}{checks}; {published}")
    else:
        lines.append(f"Refresh FAILED; {published}")
    return lines
