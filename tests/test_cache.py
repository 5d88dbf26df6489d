"""The read cache between builds: faster, never stale, never different from a clean build."""

import pickle

from conftest import write
from generator.build import build
from generator.cache import cache_path
from generator.config import load_config
from sitecheck import tree_bytes


def test_a_cached_build_is_byte_identical_to_a_clean_one(site, tmp_path):
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "first", show_progress=False)
    assert cache_path(config).is_file()
    build(config, output=tmp_path / "cached", show_progress=False)
    build(config, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(tmp_path / "cached") == tree_bytes(tmp_path / "clean")


def test_an_edit_after_a_cached_build_is_seen(site, tmp_path):
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "out", show_progress=False)
    seed = site / "seeds" / "001_66d0eec8100579d4.txt"
    seed.write_text(seed.read_text().replace("Quartz", "Quartz Weekly"))
    build(config, output=tmp_path / "out", show_progress=False)
    assert "Quartz Weekly" in (tmp_path / "out" / "index.html").read_text()


def test_the_cache_is_dropped_when_settings_change_or_it_is_damaged(site, tmp_path):
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "out", show_progress=False)
    key, reads = pickle.loads(cache_path(config).read_bytes())
    poisoned = {path: record.__class__(record.stamp, None, ()) for path, record in reads.items()}
    cache_path(config).write_bytes(pickle.dumps((key, poisoned)))
    retitled = load_config(write(site / "site.yml", (site / "site.yml").read_text().replace(
        "title: AI in Healthcare Digest", "title: Renamed")))
    report = build(retitled, output=tmp_path / "out", show_progress=False)
    assert report.read == 7, "a cache written under other settings is not trusted"
    cache_path(config).write_bytes(b"not a pickle")
    assert build(retitled, output=tmp_path / "out", show_progress=False).read == 7
