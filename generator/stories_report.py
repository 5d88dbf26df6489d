"""`digest clusters`: the stories the build merges, for an editor to check."""

from __future__ import annotations

import os

from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.index import build_index
from generator.published import read_record
from generator.sources import read_sources, read_taxonomy


def describe_stories(config: SiteConfig, drafts: bool = False) -> str:
    diagnostics = Diagnostics()
    taxonomy = read_taxonomy(config, diagnostics)
    articles = read_sources(config, taxonomy, diagnostics, workers=os.cpu_count() or 1)
    stories = build_index(config, articles, taxonomy, diagnostics, drafts, published=read_record(config)[0]).stories
    lines = []
    for story in stories:
        lines += [story.lead.title, f"  merged by {story.reason}"]
        for member in story.members:
            outlet = member.outlet or "-"
            mark = "*" if member is story.lead else "-"
            lines.append(f"  {mark} {member.date.astimezone(config.tz):%Y-%m-%d}  {outlet}  {member.file}")
        lines.append("")
    folded = sum(len(story.members) - 1 for story in stories)
    lines.append(f"{len(stories)} stories told by more than one document; {folded} copies folded into them "
                 f"(* marks the copy shown). Opt a document out with `cluster: false`, or name its story "
                 f"with `story: <key>`.")
    return "\n".join(lines)
