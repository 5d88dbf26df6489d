"""Featured videos: byte-identical output, and a click-to-play facade that loads nothing from the
video host until the reader asks for the video."""

import os
import shutil
import subprocess
import sys

from conftest import REPO, shared_dir
from sitecheck import tree_bytes

CORPUS_FOLDERS = ("powerapps", "smartable-ai")


def build_in_subprocess(site, output, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": hash_seed}
    subprocess.run([sys.executable, "-m", "generator", "build", "--no-cache", "--quiet", "--output", str(output)],
                   cwd=site, env=env, check=True, capture_output=True, timeout=600)


def test_the_corpus_builds_byte_identical_under_any_hash_seed(tmp_path):
    corpus = shared_dir("corpus")
    site = tmp_path / "site"
    for folder in CORPUS_FOLDERS:
        shutil.copytree(corpus / folder, site / folder)
    (site / "site.yml").write_text("title: Corpus\nbase_path: /digest/\nsources: [powerapps, smartable-ai]\n")
    trees = []
    for seed in ("0", "4242"):
        build_in_subprocess(site, tmp_path / f"out-{seed}", seed)
        trees.append(tree_bytes(tmp_path / f"out-{seed}"))
    assert len(trees[0]) > 300
    differing = sorted(name for name in trees[0].keys() | trees[1].keys() if trees[0].get(name) != trees[1].get(name))
    assert differing == []

