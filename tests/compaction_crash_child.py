"""Run `insights compact` on a landing zone and SIGKILL the process at a chosen point.

Used by test_compaction.py as a child process: a real kill, so no `finally` block runs.
Modes: `mid_write` dies while the third merged file is written (its bytes not yet renamed),
`after_swap` right after the third folder's swap (its old set not yet removed).
"""

import os
import signal
import sys

from pipelines import cli
from pipelines.landing import compaction

KILL_ON_CALL = 3


def kill_on_nth_call(original, *, before: bool):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if before and calls["n"] == KILL_ON_CALL:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if not before and calls["n"] == KILL_ON_CALL:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    return wrapper


def main() -> None:
    home, mode = sys.argv[1:3]
    os.environ["INSIGHTS_HOME"] = home
    if mode == "mid_write":
        compaction.os.replace = kill_on_nth_call(os.replace, before=True)
    elif mode == "after_swap":
        compaction.exchange = kill_on_nth_call(compaction.exchange, before=False)
    else:
        raise SystemExit(f"unknown mode {mode}")
    cli.main(["compact"])
    raise SystemExit("the compaction finished without reaching the kill point")


if __name__ == "__main__":
    main()
