"""The architecture notes name what the code has: every routes function and every module."""

import re

from conftest import REPO


def test_the_architecture_notes_list_every_kind_of_output():
    notes = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    source = (REPO / "generator" / "routes.py").read_text(encoding="utf-8")
    start = source.index("def site_outputs")
    table = source[start:source.index("\ndef ", start)]
    listed = set(re.findall(r"\*?(\w+)\((?:config, )?index", table)) | set(re.findall(r"(\w+)\(\),", table))
    assert listed, "site_outputs lists its kinds of output"
    for name in listed | {"static_files", "sitemaps", "site_files", "feeds_opml"}:
        assert f"`{name}`" in notes, f"docs/ARCHITECTURE.md does not mention {name}"


def test_the_readme_layout_names_every_module():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Project layout"):readme.index("## Dependencies")]
    for module in sorted((REPO / "generator").glob("*.py")):
        if module.name not in ("__init__.py", "__main__.py"):
            assert module.name in layout, f"README's layout does not mention generator/{module.name}"
