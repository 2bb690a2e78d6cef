"""A misconfigured home, an unreachable API and a wrong secret, through `insights refresh`:
one clear line each, fast, and the published marts untouched."""

from __future__ import annotations

import re

import pytest

from tests.failures.conftest import (
    api_env,
    closed_port,
    run_cli,
    serving_fingerprint,
    verdict,
)

# a real refresh of the shared firm runs first; on a busy 2-CPU machine that takes minutes
pytestmark = [pytest.mark.failures, pytest.mark.timeout(2400)]

STEP_TIME = re.compile(r"^\[\s*([\d.]+)s\] (\S+): (.*)$")


def progress(result) -> list[tuple[float, str, str]]:
    return [(float(m[1]), m[2], m[3]) for line in result.stdout.splitlines()
            if (m := STEP_TIME.match(line))]


def test_a_home_that_is_a_file_stops_at_once_naming_the_setting(tmp_path):
    home = tmp_path / "not-a-folder"
    home.write_text("a file\n")
    result = run_cli(["refresh"], home, {"INSIGHTS_API_URL": "http://127.0.0.1:9"})
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"insights: configuration error: INSIGHTS_HOME: must be a folder; {home} is a file"]


def test_a_closed_port_fails_in_seconds_with_one_message(home, simulator):
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    before = serving_fingerprint(home)
    result = run_cli(["refresh"], home, api_env(simulator, INSIGHTS_API_URL=url))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    lines = progress(result)
    # each quick retry is a progress line; the failure itself is said once
    assert any(f"connection refused at {url}; retry" in text for _, _, text in lines), output
    failed = [(at, step, text) for at, step, text in lines if text.startswith("FAILED")]
    first = [text for _, _, text in failed if text == f"FAILED: connection refused at {url}"]
    assert len(first) == 1, output
    assert all("same cause as" in text for _, _, text in failed if text not in first)
    # refused, not busy: the run gives up within seconds (no minutes of backoff)
    started = min(at for at, _, text in lines if text == "started")
    assert max(at for at, _, _ in failed) - started < 30, output
    assert "Not executing" not in output
    assert re.search(r"^\d+ dependent step\(s\) not run\.$", result.stdout, re.M), output
    assert verdict(result).startswith("Refresh FAILED in landing__")
    assert f"same cause): connection refused at {url}; nothing new was published" in \
        verdict(result)
    assert serving_fingerprint(home) == before


def test_a_wrong_secret_is_reported_once_and_the_rest_in_one_line(home, simulator):
    before = serving_fingerprint(home)
    env = api_env(simulator, INSIGHTS_API_CLIENT_SECRET="not-the-secret")
    result = run_cli(["refresh"], home, env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "not-the-secret" not in output
    refused = "the API refused the client credentials (HTTP 401)"
    failures = [text for _, _, text in progress(result) if text.startswith("FAILED")]
    assert sum(refused in text for text in failures) == 1, output
    assert len(failures) == 3  # the three list steps: one says it, two refer to it
    assert "Not executing" not in output
    assert len(re.findall(r"^\d+ dependent step\(s\) not run\.$", result.stdout, re.M)) == 1
    assert refused in verdict(result) and "nothing new was published" in verdict(result)
    assert serving_fingerprint(home) == before
