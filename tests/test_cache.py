"""The read cache between builds: faster, never stale, never different from a clean build."""

import os
import pickle
import shutil
from dataclasses import replace
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, shared_dir, write
from generator import cache, sources
from generator.build import build
from generator.cache import cache_path
from generator.config import SiteConfig, load_config
from generator.sources.document import parse_document, read_bytes
from sitecheck import broken_links, tree_bytes


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


def test_a_few_edits_left_out_of_the_saved_cache_are_read_again_never_lost(site, tmp_path, monkeypatch):
    from generator import build as build_module

    monkeypatch.setattr(build_module, "UNSAVED_SHARE", 2)  # left as it was for up to half of them, on this small site
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "out", show_progress=False)
    saved = cache_path(config).read_bytes()
    _retitle_seed(site)
    build(config, output=tmp_path / "out", show_progress=False)
    assert cache_path(config).read_bytes() == saved, "one edit is not worth saving the read cache for"
    seed = site / "seeds" / "001_66d0eec8100579d4.txt"
    seed.write_text(seed.read_text().replace("Quartz", "Quartz Weekly"))
    assert build(config, output=tmp_path / "out", show_progress=False).read > 0
    assert build(config, output=tmp_path / "out", show_progress=False).up_to_date
    page = (tmp_path / "out" / "index.html").read_text()
    assert "Quartz Weekly" in page and "Retitled: Ethical" in page
    build(config, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(tmp_path / "out") == tree_bytes(tmp_path / "clean")


def test_the_cache_is_dropped_when_settings_change_or_it_is_damaged(site, tmp_path):
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "out", show_progress=False)
    with open(cache_path(config), "rb") as stored:
        stamp, chunks = pickle.load(stored), [pickle.load(stored) for _ in range(pickle.load(stored))]
    poisoned = [{path: record.__class__(record.stamp, None, ()) for path, record in chunk.items()} for chunk in chunks]
    cache_path(config).write_bytes(b"".join(pickle.dumps(value) for value in (stamp, len(poisoned), *poisoned)))
    retitled = load_config(write(site / "site.yml", (site / "site.yml").read_text().replace(
        "title: AI in Healthcare Digest", "title: Renamed")))
    report = build(retitled, output=tmp_path / "out", show_progress=False)
    assert report.read == 7, "a cache written under other settings is not trusted"
    cache_path(config).write_bytes(b"not a pickle")
    assert build(retitled, output=tmp_path / "out", show_progress=False).read == 7


# Outside git, a document without a date takes its file's mtime as its date.
UNDATED = ["content/pages/about.md", "seeds/003_29565fabe2cba5ab.txt"]


def _fresh_copy(site, copy, seconds=2_000_000_000):
    """The site, .cache/ included, as a fresh checkout or a restored CI cache leaves it: same bytes, new mtimes."""
    shutil.copytree(site, copy, copy_function=shutil.copyfile)
    for path in [copy, *copy.rglob("*")]:
        os.utime(path, (seconds, seconds))
    return load_config(copy / "site.yml")


def _parsed(monkeypatch) -> list[str]:
    """The documents a build actually parses (a read reused from the cache is not)."""
    parsed = []

    def spy(path, text):
        parsed.append(path)
        return parse_document(path, text)

    monkeypatch.setattr(sources, "parse_document", spy)
    return parsed


def test_a_fresh_copy_with_the_cache_parses_only_what_a_clean_build_would_read_differently(site, tmp_path,
                                                                                          monkeypatch):
    build(load_config(site / "site.yml"), output=tmp_path / "first", show_progress=False)
    copy = _fresh_copy(site, tmp_path / "copy")
    parsed = _parsed(monkeypatch)
    warm = build(copy, output=tmp_path / "warm", show_progress=False)
    # The undated documents' dates came from their mtimes, which the copy changed: their reads are not reused.
    assert sorted(parsed) == UNDATED
    parsed.clear()
    clean = build(copy, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert len(parsed) == warm.read == clean.read == 7
    assert tree_bytes(tmp_path / "warm") == tree_bytes(tmp_path / "clean")
    assert warm.diagnostics.items == clean.diagnostics.items
    parsed.clear()
    opened = []
    monkeypatch.setattr(sources, "read_bytes", lambda path, *rest: opened.append(path) or read_bytes(path, *rest))
    os.utime(copy.root / "seeds" / "000_18b3b3e0ce09e073.txt", (1, 1))
    build(copy, output=tmp_path / "again", show_progress=False)
    assert (opened, parsed) == (["seeds/000_18b3b3e0ce09e073.txt"], []), "the copy's stamps were kept"


def test_a_fresh_copy_still_reads_a_document_whose_bytes_changed_under_the_same_stamp(site, tmp_path, monkeypatch):
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "first", show_progress=False)
    seed = site / "seeds" / "001_66d0eec8100579d4.txt"
    status = seed.stat()
    seed.write_text(seed.read_text().replace("Quartz", "Quarts"))  # same size
    os.utime(seed, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert seed.stat().st_size == status.st_size
    copy = _fresh_copy(site, tmp_path / "copy")
    parsed = _parsed(monkeypatch)
    build(copy, output=tmp_path / "warm", show_progress=False)
    assert sorted(parsed) == sorted([*UNDATED, "seeds/001_66d0eec8100579d4.txt"]), "content wins over the cache"
    build(copy, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert "Quarts" in (tmp_path / "warm" / "index.html").read_text()
    assert tree_bytes(tmp_path / "warm") == tree_bytes(tmp_path / "clean")


def test_an_undated_document_keeps_its_cached_read_while_its_fallback_date_holds(site, tmp_path, monkeypatch):
    build(load_config(site / "site.yml"), output=tmp_path / "first", show_progress=False)
    copy = _fresh_copy(site, tmp_path / "copy")
    for name in UNDATED:
        second = int((site / name).stat().st_mtime)
        os.utime(copy.root / name, (second + 0.5, second + 0.5))  # another stamp, the same date to the second
    parsed = _parsed(monkeypatch)
    build(copy, output=tmp_path / "warm", show_progress=False)
    assert parsed == []
    build(copy, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(tmp_path / "warm") == tree_bytes(tmp_path / "clean")


def test_the_code_is_fingerprinted_by_content_not_by_mtime(tmp_path, monkeypatch):
    code = shutil.copytree(cache.CODE, tmp_path / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "CODE", code)
    config = SiteConfig(root=tmp_path / "site")

    def fingerprint():
        cache._code_digest.cache_clear()  # it is read once per process
        return cache.fingerprint(config, ())

    try:
        before = fingerprint()
        for path in code.rglob("*.py"):
            os.utime(path, (1, 1))
        assert fingerprint() == before, "a fresh checkout of the same code keeps the cache"
        assert cache.fingerprint(replace(config, root=tmp_path / "elsewhere"), ()) == before
        model = code / "model.py"
        model.write_bytes(model.read_bytes().replace(b"class", b"klass", 1))
        os.utime(model, (1, 1))
        assert fingerprint() != before
    finally:
        cache._code_digest.cache_clear()


def test_a_build_with_nothing_changed_stops_early_and_touches_nothing(site, tmp_path):
    config = load_config(site / "site.yml")
    first = build(config, output=tmp_path / "out", show_progress=False)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (tmp_path / "out").rglob("*")}
    again = build(config, output=tmp_path / "out", show_progress=False)
    assert again.up_to_date and not first.up_to_date
    assert "nothing changed since the last build" in again.summary()
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (tmp_path / "out").rglob("*")} == before
    assert again.diagnostics.items == first.diagnostics.items, "its warnings are reported again"
    assert (again.read, again.pages, again.feeds) == (first.read, first.pages, first.feeds)


def _edit_seed(site, out):
    seed = site / "seeds" / "001_66d0eec8100579d4.txt"
    seed.write_text(seed.read_text().replace("Quartz", "Quartz Weekly"))


def _add_seed(site, out):
    write(site / "seeds" / "new.md", "---\ntitle: A brand new story\npublishedDateTime: 2026-11-01T10:00:00Z\n---\nBody.\n")


def _delete_seed(site, out):
    (site / "seeds" / "001_66d0eec8100579d4.txt").unlink()


def _edit_template(site, out):
    base = site / "themes" / "default" / "templates" / "base.html"
    base.write_text(base.read_text() + "\n{# edited #}<!-- edited -->\n")


def _override_template(site, out):
    write(site / "templates" / "404.html", '{% extends "base.html" %}{% block content %}Gone fishing{% endblock %}')


def _edit_static(site, out):
    css = site / "themes" / "default" / "static" / "style.css"
    css.write_text(css.read_text() + "\n/* edited */\n")


def _edit_settings(site, out):
    write(site / "site.yml", (site / "site.yml").read_text().replace("title: AI in Healthcare Digest", "title: Renamed"))


def _edit_output(site, out):
    (out / "index.html").write_text("defaced")


def _delete_output(site, out):
    (out / "feed.xml").unlink()


def _add_to_output(site, out):
    (out / "stray.html").write_text("left behind")


@pytest.mark.parametrize("change", [_edit_seed, _add_seed, _delete_seed, _edit_template, _override_template,
                                    _edit_static, _edit_settings, _edit_output, _delete_output, _add_to_output])
def test_any_change_to_inputs_or_output_means_a_real_build(site, tmp_path, change):
    out = tmp_path / "out"
    build(load_config(site / "site.yml"), output=out, show_progress=False)
    change(site, out)
    config = load_config(site / "site.yml")
    report = build(config, output=out, show_progress=False)
    assert not report.up_to_date
    build(config, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def test_drafts_or_another_output_folder_are_not_taken_for_the_last_build(site, tmp_path):
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "out", show_progress=False)
    assert not build(config, output=tmp_path / "out", drafts=True, show_progress=False).up_to_date
    assert not build(config, output=tmp_path / "elsewhere", drafts=True, show_progress=False).up_to_date
    assert build(config, output=tmp_path / "out", drafts=True, show_progress=False).up_to_date


def test_building_into_many_folders_keeps_the_cache_small_and_each_folder_up_to_date(site, tmp_path):
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "out", show_progress=False)
    size = sum(p.stat().st_size for p in cache_path(config, cache.BUILDS_NAME).iterdir())
    for number in range(cache.KEPT_RECORDS + 4):  # a CI job's or a bench's temporary folders
        build(config, output=tmp_path / f"temporary-{number}", show_progress=False)
        if number % 2:
            shutil.rmtree(tmp_path / f"temporary-{number}")
    records = list(cache_path(config, cache.BUILDS_NAME).iterdir())
    assert len(records) <= cache.KEPT_RECORDS + 1
    assert sum(p.stat().st_size for p in records) <= (cache.KEPT_RECORDS + 1) * size * 1.1
    assert build(config, output=tmp_path / f"temporary-{cache.KEPT_RECORDS + 2}", show_progress=False).up_to_date
    gone = tmp_path / f"temporary-{cache.KEPT_RECORDS + 1}"
    assert not build(config, output=gone, show_progress=False).up_to_date, "its folder was deleted"
    assert tree_bytes(gone) == tree_bytes(tmp_path / "out")


def test_strict_still_fails_when_nothing_changed(site, tmp_path):
    write(site / "seeds" / "bad.md", "---\ntitle: [unclosed\n---\n")
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "out", show_progress=False)
    report = build(config, output=tmp_path / "out", strict=True, show_progress=False)
    assert report.up_to_date and not report.written and report.diagnostics.errors


def _cli_build(site, seed: int) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": str(seed)}
    return subprocess.run([sys.executable, "-m", "generator", "build", "--output", "out"], cwd=site, env=env,
                          check=True, capture_output=True, text=True).stdout


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def test_after_one_edit_only_the_files_showing_it_are_written_again(site, tmp_path):
    """Across processes (and hash seeds): a deploy that syncs by time, and a reader's cache, see only what changed."""
    _cli_build(site, 1)
    before = _files(site / "out")
    _edit_seed(site, site / "out")
    summary = _cli_build(site, 2)
    after = _files(site / "out")
    changed = {path for path, (data, _) in after.items() if before.get(path, (None,))[0] != data}
    rewritten = {path for path, (_, mtime) in after.items() if before.get(path, (None, None))[1] != mtime}
    assert rewritten == changed, "every file the edit leaves alone keeps its bytes and its time"
    pages = sum(path.endswith(".html") for path in changed)
    assert 0 < pages < sum(path.endswith(".html") for path in after) / 2, "the edit shows on a few pages"
    assert f"wrote {pages} pages" in summary, summary
    build(load_config(site / "site.yml"), output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(site / "out") == tree_bytes(tmp_path / "clean")


def test_pages_are_rendered_again_when_the_output_was_touched(site, tmp_path):
    config = load_config(site / "site.yml")
    first = build(config, output=tmp_path / "out", show_progress=False)
    _edit_seed(site, tmp_path / "out")
    (tmp_path / "out" / "404.html").write_text("defaced")
    report = build(config, output=tmp_path / "out", show_progress=False)
    assert 0 < report.pages < first.pages, "only the page store's intact copies are taken, never the defaced page"
    assert (tmp_path / "out" / "404.html").read_text() != "defaced"
    build(config, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(tmp_path / "out") == tree_bytes(tmp_path / "clean")


def test_a_change_that_alters_no_output_leaves_the_folder_as_it_is(site, tmp_path):
    config = load_config(site / "site.yml")
    out = tmp_path / "out"
    write(site / "seeds" / "draft.md", "---\ntitle: Not yet\ndraft: true\npublishedDateTime: 2026-11-01T10:00:00Z\n---\nA.\n")
    build(config, output=out, show_progress=False)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [out, *out.rglob("*")]}
    os.utime(site / "seeds" / "001_66d0eec8100579d4.txt", (1, 1))  # touched, not changed
    write(site / "seeds" / "draft.md", "---\ntitle: Not yet\ndraft: true\npublishedDateTime: 2026-11-01T10:00:00Z\n---\nB.\n")
    report = build(config, output=out, show_progress=False)
    assert not report.up_to_date and (report.pages, report.feeds) == (0, 0)
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [out, *out.rglob("*")]} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"], "no staging folder left"
    assert build(config, output=out, show_progress=False).up_to_date


def _retitle_seed(site):
    seed = site / "seeds" / "004_5cd5536e1fb50c68.txt"
    seed.write_text(seed.read_text().replace('title: "Ethical', 'title: "Retitled: Ethical', 1))


OLD_STORY = "2023/11/ethical-considerations-in-ai-driven-healthcare"
NEW_STORY = "2023/11/retitled-ethical-considerations-in-ai-driven-healthcare"


def test_a_rebuild_after_an_edit_patches_the_folder_in_place(site, tmp_path):
    """No new tree beside the old one: the pages the edit changed are renamed over their old copies,
    the story's old address becomes a redirect to the new one, and everything else is left exactly as it was."""
    config = load_config(site / "site.yml")
    out = tmp_path / "out"
    build(config, output=out, show_progress=False)
    untouched = out / "2020" / "09" / "index.html"
    before = {"folder": out.stat().st_ino, "page": (untouched.stat().st_ino, untouched.stat().st_mtime_ns)}
    _retitle_seed(site)
    build(config, output=out, show_progress=False)
    assert out.stat().st_ino == before["folder"], "the folder was patched, not replaced"
    assert (untouched.stat().st_ino, untouched.stat().st_mtime_ns) == before["page"]
    assert (out / NEW_STORY / "index.html").is_file()
    assert f'content="0; url=/digest/{NEW_STORY}/"' in (out / OLD_STORY / "index.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"], "no staging folder left"
    build(config, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean"), "search index included"


def test_an_interrupted_patch_leaves_a_working_site_and_the_next_build_repairs_it(site, tmp_path, monkeypatch):
    from generator import output

    config = load_config(site / "site.yml")
    out = tmp_path / "out"
    build(config, output=out, show_progress=False)
    _retitle_seed(site)
    real_replace, moved = os.replace, []

    def interrupted(source, destination):
        if not str(destination).startswith(str(out)):  # the cache's files, saved the same way
            return real_replace(source, destination)
        if len(moved) == 3:
            raise KeyboardInterrupt
        moved.append(destination)
        real_replace(source, destination)

    monkeypatch.setattr(output.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(config, output=out, show_progress=False)
    monkeypatch.undo()
    assert len(moved) == 3 and (out / NEW_STORY / "index.html").is_file(), "new pages arrive first"
    assert broken_links(out, "/digest/") == [], "halfway, every link still resolves"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]
    build(config, output=out, show_progress=False)
    build(config, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def test_a_change_reaching_every_page_replaces_the_folder_whole(site, tmp_path):
    """Patched file by file, new pages would sit beside old ones for seconds; built beside, none do."""
    config = load_config(site / "site.yml")
    out = tmp_path / "out"
    build(config, output=out, show_progress=False)
    folder = out.stat().st_ino
    write(site / "static" / "style.css", "body { color: teal; }\n")  # the site's own stylesheet wins
    build(config, output=out, show_progress=False)
    assert out.stat().st_ino != folder, "swapped in whole"
    build(config, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def test_on_a_real_digest_a_story_edit_is_patched_in_and_a_theme_edit_swapped_in_whole(site, tmp_path):
    """Patched file by file, a theme edit would show new pages beside old ones for seconds."""
    shutil.copytree(shared_dir("corpus") / "smartable-ai", site / "seeds" / "corpus")
    config = load_config(site / "site.yml")
    out = tmp_path / "out"
    build(config, output=out, show_progress=False)
    folder = out.stat().st_ino
    _edit_seed(site, out)
    build(config, output=out, show_progress=False)
    assert out.stat().st_ino == folder, "a story edit reaches a few pages: patched in place"
    _edit_template(site, out)
    build(config, output=out, show_progress=False)
    assert out.stat().st_ino != folder, "a theme edit reaches every page: built beside and swapped in"
    build(config, output=tmp_path / "clean", show_progress=False, use_cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def test_the_cache_is_keyed_on_every_declared_runtime_dependency():
    """Upgrading any one library (css-inline, rapidfuzz, tzdata...) must not let a build reuse what the old
    one made: each runtime dependency pyproject.toml declares is in the cache's key, with its version."""
    import re
    import tomllib
    from importlib import metadata

    from generator.cache import _library_versions

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    keyed = set(_library_versions())
    for requirement in declared:
        name = re.match(r"[A-Za-z0-9._-]+", requirement).group().lower()
        assert f"{name}=={metadata.version(name)}" in keyed, name
    assert any(entry.startswith("markupsafe==") for entry in keyed), "and theirs: Jinja's escaping"


def commit_all(site: Path) -> None:
    """The site as a repository: an undated document then takes its first commit's date, not its mtime."""
    git = ["git", "-C", str(site), "-c", "user.name=Editor", "-c", "user.email=editor@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "content", "--date", "2026-01-05T10:00:00Z"], check=True,
                   env={**os.environ, "GIT_COMMITTER_DATE": "2026-01-05T10:00:00Z"})


def fresh_checkout(site: Path) -> None:
    """Every file of the site with a new mtime and the same bytes, as a CI checkout has them."""
    later = os.stat(site / "site.yml").st_mtime_ns + 10**9
    for path in site.rglob("*"):
        if path.is_file() and ".cache" not in path.parts and ".git" not in path.parts:
            os.utime(path, ns=(later, later))


def test_a_fresh_checkout_building_into_an_empty_folder_renders_only_what_changed(site, tmp_path):
    """A daily deploy: a new checkout, the .cache restored, an empty output folder. The page store
    hands back every file the last build made from the same inputs; the site is as a clean build's."""
    commit_all(site)
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "yesterday", show_progress=False)
    (tmp_path / "yesterday" / "404.html").write_text("defaced")  # in place: the store's linked copy too
    fresh_checkout(site)
    today = build(config, output=tmp_path / "today", show_progress=False)
    assert today.pages == 1 and today.feeds == 0, "nothing rendered again but the page defaced since"
    clean = tree_bytes(build(config, output=tmp_path / "clean", show_progress=False, use_cache=False).output)
    assert tree_bytes(tmp_path / "today") == clean

    story = site / "seeds" / "001_66d0eec8100579d4.txt"  # published, with front matter
    story.write_text(story.read_text(encoding="utf-8") + "\nA new last line.\n", encoding="utf-8")
    fresh_checkout(site)
    edited = build(config, output=tmp_path / "edited", show_progress=False)
    assert 0 < edited.pages < 10, "the story's page and the listings showing it"
    shutil.rmtree(tmp_path / "clean")
    assert tree_bytes(tmp_path / "edited") == tree_bytes(
        build(config, output=tmp_path / "clean", show_progress=False, use_cache=False).output)
    stored = sum(len(files) for _, _, files in os.walk(cache_path(config, cache.PAGES_NAME)))
    assert stored == len(tree_bytes(tmp_path / "edited")) - len(list((site / "themes" / "default" / "static").rglob("*.*"))), \
        "the store holds this build's files and no older ones"
