"""Run `insights refresh` on a full disk, then with space again; report what a user sees.

Runs inside `unshare -rm` (its own mount namespace), where it may mount a small tmpfs: a real
full device, ENOSPC from the kernel. The test reads the JSON written to RESULT.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

FREE_LEFT = 1024 * 1024  # bytes left on the device for the failing refresh


def files(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for folder in ("serving", "warehouse")
                  for p in (home / folder).rglob("*"))


def sha(home: Path) -> str:
    """The serving catalog and the generation switch: equal means nothing was published."""
    from pipelines.serving.duckdb_file import switch_path

    serving = home / "serving" / "insights.duckdb"
    paths = [serving, switch_path(serving)]
    return hashlib.sha256(b"".join(path.read_bytes() for path in paths)).hexdigest()


def main() -> None:
    result_path, template, mount_dir, insights = sys.argv[1:5]
    env = json.loads(sys.argv[5])
    mount_dir = Path(mount_dir)
    used = sum(p.stat().st_size for p in Path(template).rglob("*") if p.is_file())
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={used * 3 + (64 << 20)}", "tmpfs",
                    str(mount_dir)], check=True)
    home = mount_dir / "home"
    shutil.copytree(template, home)
    ballast = mount_dir / "ballast"
    with open(ballast, "wb") as handle:
        handle.truncate(0)
        free = shutil.disk_usage(mount_dir).free - FREE_LEFT
        chunk = b"\0" * (1 << 20)
        while free > 0:
            free -= handle.write(chunk[: min(len(chunk), free)])
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INSIGHTS_")}
    environment.update(env, INSIGHTS_HOME=str(home))
    report = {"serving_before": sha(home),
              "free_before": shutil.disk_usage(mount_dir).free}
    full = subprocess.run([insights, "refresh"], env=environment, capture_output=True,
                          text=True, cwd=mount_dir, timeout=900)
    report.update(full_rc=full.returncode, full_stdout=full.stdout, full_stderr=full.stderr,
                  full_files=files(home),
                  serving_after_full=sha(home))
    ballast.unlink()
    again = subprocess.run([insights, "refresh"], env=environment, capture_output=True,
                           text=True, cwd=mount_dir, timeout=900)
    report.update(again_rc=again.returncode, again_stdout=again.stdout,
                  again_stderr=again.stderr, again_files=files(home))
    # a snapshot of the served marts: their views read this mount, gone when this process ends
    from pipelines.serving.duckdb_file import copy_marts_as_tables

    copy_marts_as_tables(home / "serving" / "insights.duckdb",
                         Path(result_path).with_suffix(".duckdb"))
    Path(result_path).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
