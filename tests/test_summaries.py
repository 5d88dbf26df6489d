"""A summary reads right wherever it appears: cut text marked once, no half words, whole sentences alone."""

import pytest
from hypothesis import given as for_any
from hypothesis import strategies as st

from generator.summaries import mark_cut, shorten


@pytest.mark.parametrize("given, shown", [
    ("The study was published today.", "The study was published today."),
    ("He asked: “who is responsible?”", "He asked: “who is responsible?”"),
    ("approaches to identify more than 1,", "approaches to identify more than…"),
    ("a market worth 3.", "a market worth 3."),
    ("Paige has raised over ...", "Paige has raised over…"),
    ("By Component (Hardware, Software)...", "By Component (Hardware, Software)…"),
    ("the hospital said it would", "the hospital said it would…"),
    ("risks include bias, ", "risks include bias…"),
    ("", ""),
])
def test_a_summary_the_source_cut_ends_in_one_ellipsis(given, shown):
    assert mark_cut(given) == shown


def test_shortening_cuts_between_words_and_leaves_whole_sentences_unmarked():
    text = "Hospitals adopt AI triage. Regulators want evidence before approving more tools."
    assert shorten(text, 200) == text
    assert shorten(text, 30) == "Hospitals adopt AI triage."
    assert shorten(text, 60) == "Hospitals adopt AI triage. Regulators want evidence before…"
    words = {word.strip(".") for word in text.split()}
    assert all(shorten(text, n).rstrip("….").split()[-1] in words for n in range(10, 80)), "no word in half"


_ENDINGS = st.lists(st.sampled_from(list("ab1,.;:–—-!?…。\"'”’)] \n\t") + ["...", " ...", "1,", "\n\n"]), max_size=12)


@for_any(st.text(max_size=200), _ENDINGS.map("".join))
def test_a_summary_marked_once_stays_as_marked(text, ending):
    """However a long summary ends, it ends a sentence or in one ellipsis, and marking it again (a
    listing shortens what the reader already marked) adds nothing."""
    marked = mark_cut(text + ending)
    assert mark_cut(marked) == marked
    assert not marked.endswith("……") and not marked.endswith("...…")
