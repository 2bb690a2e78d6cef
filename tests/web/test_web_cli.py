"""`insights demo` ends by saying how to open the page, and `insights serve --demo` serves it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from pipelines.cli import main
from tests.web.conftest import free_port


def test_demo_tells_how_to_open_the_page_and_serve_serves_it(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSIGHTS_HOME", str(home))
    assert main(["demo", "--clients", "6", "--history-days", "40"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  insights serve --demo" in out
    assert any("http://127.0.0.1:8000/demo" in line for line in out)

    port = free_port()
    env = {**os.environ, "INSIGHTS_HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--demo", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                picker = httpx.get(f"http://127.0.0.1:{port}/demo", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "insights serve did not start"
                time.sleep(0.2)
        assert picker.status_code == 200
        assert 'href="/demo/choose?user_id=' in picker.text
        assert httpx.get(f"http://127.0.0.1:{port}/insights").status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert f"http://127.0.0.1:{port}/demo" in server.stdout.read()
