"""Atomic output: a failed build leaves the last good site; nothing is written outside the output folder."""

import os
import time

import pytest

from generator.output import FolderMaker, OutputError, StagedSite, check_target, contained


def write_site(files, static, target):
    """What a build does with its output: stage every file, then swap the folder in."""
    with StagedSite(target) as site:
        for relative, data in files.items():
            site.add(relative, data)
        return site.commit(static)


def test_a_complete_build_replaces_the_previous_site(tmp_path):
    target = tmp_path / "output"
    write_site({"index.html": b"one", "old.html": b"x"}, [], target)
    write_site({"index.html": b"two"}, [], target)
    assert sorted(p.name for p in target.iterdir()) == ["index.html"]
    assert (target / "index.html").read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"], "no staging folders left behind"


def test_a_failed_build_leaves_the_last_good_site_in_place(tmp_path):
    target = tmp_path / "output"
    write_site({"index.html": b"good"}, [], target)

    class Exploding(dict):
        def items(self):
            yield "a.html", b"partial"
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_site(Exploding(), [], target)
    assert (target / "index.html").read_bytes() == b"good"
    assert not (target / "a.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_leftovers_of_an_interrupted_build_are_cleared_next_time(tmp_path):
    (tmp_path / "output.tmp-abc").mkdir()
    (tmp_path / "output.old-123").mkdir()
    write_site({"index.html": b"x"}, [], tmp_path / "output")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_folders_made_ahead_take_the_pages_and_those_left_empty_are_not_published(tmp_path):
    target = tmp_path / "output"
    with StagedSite(target) as site, FolderMaker(2) as maker:
        maker.start(site, ["2026/05/a", "2026/05/b", "2026/06/c"])
        deadline = time.monotonic() + 10
        while not (site.staging / "2026/06/c").is_dir():  # made in another process
            assert time.monotonic() < deadline
            time.sleep(0.01)
        site.made_ahead(maker.made())
        site.add("2026/05/a/index.html", b"a")
        site.commit([], {"2026/05/a/index.html"})
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "2026", "2026/05", "2026/05/a", "2026/05/a/index.html"]
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # the maker is gone


@pytest.mark.parametrize("relative", ["../escape.html", "a/../../escape.html", "/etc/passwd", "."])
def test_paths_that_resolve_outside_the_output_are_refused(tmp_path, relative):
    with pytest.raises(OutputError):
        contained(tmp_path / "site", relative)


@pytest.mark.parametrize("relative", ["../escape.html", "a/../../escape.html", "/etc/passwd", ".", "./a.html",
                                      "a//b.html", "a/./b.html", "a/../b.html"])
def test_staging_refuses_paths_that_are_not_plainly_inside(tmp_path, relative):
    with StagedSite(tmp_path / "site") as site:
        with pytest.raises(OutputError):
            site.place(relative, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing written anywhere"


def test_a_sibling_folder_sharing_a_prefix_is_still_outside(tmp_path):
    (tmp_path / "site-evil").mkdir()
    with pytest.raises(OutputError):
        contained(tmp_path / "site", "../site-evil/x.html")


@pytest.mark.parametrize("output", [".", "..", "seeds", "seeds/sub"])
def test_output_may_not_replace_the_project_or_its_sources(tmp_path, output):
    root = tmp_path / "project"
    (root / "seeds").mkdir(parents=True)
    with pytest.raises(OutputError):
        check_target(root / output, root, [root / "seeds"])


def test_unchanged_files_keep_their_mtime_and_only_changes_are_written(tmp_path):
    import os
    import time
    target = tmp_path / "output"
    write_site({"a.html": b"same", "b.html": b"old", "gone.html": b"x"}, [], target)
    before = {name: (target / name).stat() for name in ("a.html", "b.html")}
    time.sleep(0.01)  # a rewrite of a.html would show in its mtime
    written = write_site({"a.html": b"same", "b.html": b"new"}, [], target)
    assert written == ["b.html"]
    assert (target / "a.html").stat().st_mtime_ns == before["a.html"].st_mtime_ns
    assert (target / "b.html").read_bytes() == b"new"
    assert not (target / "gone.html").exists()
    assert os.stat(target / "a.html").st_nlink == 1, "the retired site's link is gone with it"


def test_the_previews_changes_are_the_files_edited_added_or_gone():
    from generator.output import changed_files
    first = {"index.html": b"home", "2021/01/a/index.html": b"a", "static/style.css": b"css"}
    assert sorted(changed_files(first, {})) == sorted(first)
    second = {"index.html": b"home, edited", "static/style.css": b"css"}
    assert sorted(changed_files(second, first)) == ["2021/01/a/index.html", "index.html"]
