"""`digest serve-output`: the built output/ served under base_path, as GitHub Pages serves it."""

import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO, SERVER_EDGES, ask, free_port
from generator.build import build
from generator.config import load_config


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def published(site):
    build(load_config(site / "site.yml"), show_progress=False)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve-output", "--port", str(port)], cwd=site,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_the_built_site_answers_under_its_base_path_with_working_assets(published, site):
    status, home = fetch(published + "/digest/")
    assert status == 200 and b'href="/digest/static/' in home
    stylesheet = home.split(b'rel="stylesheet" href="')[1].split(b'"')[0].decode()
    assert fetch(published + stylesheet)[0] == 200
    assert fetch(published + "/digest/feed.xml")[0] == 200


def test_a_missing_page_gets_the_sites_404_page(published):
    status, body = fetch(published + "/digest/no/such/page/")
    assert status == 404 and b"<html" in body


def test_serving_output_without_a_build_says_what_to_do(tmp_path):
    (tmp_path / "site.yml").write_text("title: Empty\n")
    result = subprocess.run([sys.executable, "-m", "generator", "serve-output", "--port", str(free_port())],
                            cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(REPO)}, timeout=30)
    assert result.returncode != 0 and "make build" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("path, method, status", SERVER_EDGES)
def test_odd_requests_get_the_answer_github_pages_gives(published, path, method, status):
    got, headers, body = ask(f"{published}/digest/{path}", method)
    assert got == status
    assert (body == b"") == (method == "HEAD")
    if method == "HEAD" and status == 200:
        assert int(headers["Content-Length"]) > 1000
