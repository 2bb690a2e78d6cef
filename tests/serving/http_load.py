"""A busy page in its own process: several threads request `/api/me` of `insights serve` back to
back (so requests overlap) until told to stop; one JSON line per response.

    python http_load.py BASE_URL EMAIL OUT_JSONL STOP_FILE
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import httpx

THREADS = 4


def main(base_url: str, email: str, out: Path, stop: Path) -> None:
    lock = threading.Lock()
    with open(out, "a") as sink:
        def worker() -> None:
            with httpx.Client(base_url=base_url, headers={"X-Forwarded-Email": email},
                              timeout=30) as client:
                while not stop.exists():
                    sent = time.time()
                    try:
                        response = client.get("/api/me")
                        record = {"sent": sent, "status": response.status_code}
                        if response.status_code == 200:
                            record["as_of"] = response.json().get("data_as_of")
                        else:
                            record["body"] = response.text[:300]
                    except Exception as error:  # every failure is reported
                        record = {"sent": sent, "error": f"{type(error).__name__}: {error}"}
                    with lock:
                        sink.write(json.dumps(record) + "\n")
                        sink.flush()

        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
