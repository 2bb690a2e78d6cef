"""One line per failure cause, the held-batch store and `insights status`, without a run
(the real failures, through the command line, are in tests/failures)."""

from __future__ import annotations

import errno
import json
import sqlite3

from pipelines.cli import main
from pipelines.failures import chain_of_exception, describe, failure_lines
from pipelines.held_batches import HoldStore
from pipelines.resources.api_client import ApiUnreachable, AuthenticationError


def _raised(make):
    try:
        make()
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("nothing raised")


def _chained(inner: Exception, outer: Exception) -> Exception:
    def make():
        try:
            raise inner
        except Exception as error:
            raise outer from error
    return _raised(make)


def test_a_full_disk_names_the_device_of_the_file(tmp_path):
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "landing" / "x"))
    error = _chained(full, RuntimeError("step failed"))
    line = describe(chain_of_exception(error), tmp_path)
    assert line.startswith(f"no space left on the device of {tmp_path}/landing/x (")
    sqlite_full = _chained(sqlite3.OperationalError("database or disk is full"),
                           RuntimeError("could not store the event"))
    assert describe(chain_of_exception(sqlite_full), tmp_path).startswith(
        f"no space left on the device of {tmp_path}")


def test_a_file_size_limit_is_not_called_a_full_disk(tmp_path):
    error = OSError(errno.EFBIG, "File too large", str(tmp_path / "warehouse.duckdb"))
    assert describe(chain_of_exception(error), tmp_path) == (
        f"a file size limit (ulimit -f) stopped the write of {tmp_path}/warehouse.duckdb")


def test_api_causes_are_said_in_their_own_words(tmp_path):
    refused = _chained(ApiUnreachable("connection refused at http://127.0.0.1:9"),
                       RuntimeError("Error occurred while executing op"))
    assert describe(chain_of_exception(refused), tmp_path) == (
        "connection refused at http://127.0.0.1:9")
    secret = AuthenticationError("the API refused the client credentials (HTTP 401)")
    assert describe(chain_of_exception(secret), tmp_path) == (
        "the API refused the client credentials (HTTP 401)")


def test_other_errors_show_the_innermost_cause(tmp_path):
    error = _chained(KeyError("client_id"), RuntimeError("the step failed"))
    assert describe(chain_of_exception(error), tmp_path) == "KeyError: 'client_id'"


def test_the_summary_groups_steps_by_cause_and_ends_with_the_verdict():
    lines = failure_lines({"landing__spaces": "connection refused at U",
                           "landing__users": "connection refused at U"}, 17, [], [],
                          "nothing new was published")
    assert lines == ["17 dependent step(s) not run.",
                     "Refresh FAILED in landing__spaces (and landing__users, same cause): "
                     "connection refused at U; nothing new was published"]


def test_a_hold_joins_checks_and_is_released_once(tmp_path):
    store = HoldStore(tmp_path / "landing")
    with store.zone.writing():  # holds and releases are written under the writer lock
        store.ensure()
        assert store.held() == []
        store.hold("documents", "b1", "quarantine_share", "3 of 10 quarantined")
        store.hold("documents", "b1", "fetched_equals_landed_plus_quarantined", "1 missing")
        store.hold("spaces", "b1", "volume_within_bounds", "drop")
        [documents, spaces] = sorted(store.held(), key=lambda h: h.entity)
        assert documents.checks == ["fetched_equals_landed_plus_quarantined", "quarantine_share"]
        assert documents.reason == "3 of 10 quarantined; 1 missing"
        assert store.held_ids("spaces") == {"b1"} and store.held_ids("users") == set()
        assert {h.entity for h in store.release("b1", by="tester")} == {"documents", "spaces"}
        assert store.held() == [] and store.release("b1", by="tester") == []
        assert {(h.status, h.released_by) for h in store.all()} == {("released", "tester")}


def test_status_of_an_empty_home(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INSIGHTS_HOME", str(tmp_path / "home"))
    assert main(["status"]) == 0
    text = capsys.readouterr().out
    assert "Last refresh: none recorded" in text and "Held batches: none" in text
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["held_batches"] == [] and report["data"]["as_of"] is None
