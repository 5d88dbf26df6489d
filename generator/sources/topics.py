"""The topic taxonomy (`content/topics.yml`) and keyword-based topic assignment."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from generator.diagnostics import Diagnostics
from generator.model import Topic
from generator.sources.fields import clean_text
from generator.urls import slug
from generator.yamlload import load_typed


def topic_slug(name: str) -> str:
    return slug(name, 60) or "topic"


def load_taxonomy(path: Path, label: str, diagnostics: Diagnostics) -> tuple[Topic, ...]:
    if not path.exists():
        return ()
    try:
        entries = load_typed(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        diagnostics.warn(label, f"topic taxonomy not read: {exc}")
        return ()
    if not isinstance(entries, list):
        diagnostics.warn(label, "topic taxonomy must be a list of topics")
        return ()
    topics = [_topic(entry, position, label, diagnostics) for position, entry in enumerate(entries)]
    return tuple(t for t in topics if t is not None)


def _topic(entry, position: int, label: str, diagnostics: Diagnostics) -> Topic | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        diagnostics.warn(label, f"topic #{position + 1} has no name; ignored")
        return None
    keywords = entry.get("keywords") or []
    order = entry.get("order", position)
    return Topic(
        name=clean_text(entry["name"]),
        slug=topic_slug(str(entry.get("slug") or entry["name"])),
        description=clean_text(str(entry.get("description") or "")),
        keywords=tuple(str(k).lower() for k in keywords if isinstance(k, (str, int))),
        order=order if isinstance(order, int) and not isinstance(order, bool) else position,
    )


def match_topics(text: str, taxonomy: tuple[Topic, ...], limit: int = 3) -> tuple[str, ...]:
    """The topics whose keywords occur most often (as whole words) in the text; ties in taxonomy order."""
    lowered = text.lower()
    scores = {
        topic: sum(len(re.findall(rf"\b{re.escape(k)}\b", lowered)) for k in topic.keywords)
        for topic in taxonomy
    }
    ranked = sorted((t for t in taxonomy if scores[t]), key=lambda t: (-scores[t], t.order))
    return tuple(t.name for t in ranked[:limit])
