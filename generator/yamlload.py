"""YAML loaders: libyaml when present, never constructing Python objects.

Front matter is loaded with every plain scalar kept as the string the writer typed
(YAML 1.1 would turn `title: NO` into False and `title: 1e3` into 1000.0); fields are
then coerced one by one with the type each one needs. Nothing but str, None, list and
dict is ever constructed, and aliases are refused (a "billion laughs" file expands them).
"""

from __future__ import annotations

import re

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import ScalarNode, SequenceNode

STR_TAG, NULL_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"
SEQ_TAG, MAP_TAG = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
NULL_WORDS = {"", "~", "null", "Null", "NULL"}
RESOLVED_TAGS = {STR_TAG, NULL_TAG, SEQ_TAG, MAP_TAG}  # what `resolve` gives: standard, so checked at once
STANDARD_TAGS = "tag:yaml.org,2002:"  # !!int, !!str, ...: kept as the text written
UNSAFE_TAGS = "tag:yaml.org,2002:python/"

try:
    from yaml.cyaml import CParser as _Parser
    from yaml.cyaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner
    from yaml import SafeLoader

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


class StringLoader(_Parser):
    """libyaml parses and composes; this walks the nodes into str, None, list and dict.

    PyYAML's own constructor and resolver run in Python for every node and were most of the
    read time; with every scalar kept as text, none of their machinery is needed."""

    def descend_resolver(self, parent, index):  # path-based resolution: not used
        pass

    def ascend_resolver(self):
        pass

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            return NULL_TAG if implicit[0] and value in NULL_WORDS else STR_TAG
        return SEQ_TAG if kind is SequenceNode else MAP_TAG

    def load(self, tree: bool = False):
        """`tree`: the text was found to hold no anchor (_may_anchor), so the nodes need no alias check."""
        node = self.get_single_node()
        if node is None:
            return None
        return self._tree(node) if tree else self._construct(node, set())

    def _tree(self, node):
        """What _construct gives for a tree of nodes, in a third of the time: the plain scalars most nodes are
        (keys, values, list items) are read in place instead of by a call each; the rest goes the long way."""
        kind = type(node)
        if kind is ScalarNode or node.tag not in RESOLVED_TAGS:
            return self._construct(node, set())
        if kind is SequenceNode:
            return [item.value if type(item) is ScalarNode and item.tag == STR_TAG else self._tree(item)
                    for item in node.value]
        mapping = {}
        for key_node, value_node in node.value:
            if type(key_node) is ScalarNode and key_node.tag == STR_TAG:
                key = key_node.value
            else:
                key = self._construct(key_node, set())
                if not isinstance(key, (str, type(None))):
                    raise ConstructorError(None, None, "mapping keys must be plain text", key_node.start_mark)
            if type(value_node) is ScalarNode and value_node.tag == STR_TAG:
                mapping[key] = value_node.value
            else:
                mapping[key] = self._tree(value_node)
        return mapping

    def _construct(self, node, seen: set):
        if id(node) in seen:
            raise ConstructorError(None, None, "YAML aliases (*name) are not allowed in documents", node.start_mark)
        tag = node.tag
        if tag not in RESOLVED_TAGS and (tag.startswith(UNSAFE_TAGS) or not tag.startswith(STANDARD_TAGS)):
            raise ConstructorError(None, None, f"unsupported tag {tag!r}", node.start_mark)
        seen.add(id(node))
        kind = type(node)
        if kind is ScalarNode:
            return None if tag == NULL_TAG else node.value
        if kind is SequenceNode:
            return [self._construct(item, seen) for item in node.value]
        mapping = {}
        for key_node, value_node in node.value:
            key = self._construct(key_node, seen)
            if not isinstance(key, (str, type(None))):
                raise ConstructorError(None, None, "mapping keys must be plain text", key_node.start_mark)
            mapping[key] = self._construct(value_node, seen)
        return mapping


def _may_anchor(text: str) -> bool:
    """Whether `text` may hold an anchor (`&name`). One starts a token, so never follows a letter or
    digit: "AT&amp;T" and "Q&A" hold none, "Health &amp; AI" may. Text holding none holds no alias either
    (one naming no anchor is an error), so its nodes form a tree. str.find, not a regular expression:
    front matter carries whole articles, and a pattern tried at every character cost more than it saved."""
    at = text.find("&")
    while at >= 0:
        before, after = text[at - 1:at], text[at + 1:at + 2]
        if not (before.isascii() and before.isalnum()) and after.isascii() and (after.isalnum() or after in ("_", "-")):
            return True
        at = text.find("&", at + 1)
    return False


def load_strings(text: str, simple: bool = True):
    """Load one YAML document with plain scalars kept as strings (and `~`/`null`/empty as None).
    `simple=False`: the caller has found that simple_mapping cannot read it."""
    if simple and (found := simple_mapping(text)) is not None:
        return found
    loader = StringLoader(text)
    try:
        return loader.load(tree=not _may_anchor(text))
    finally:
        loader.dispose()


def load_typed(text: str):
    """Load one YAML document with YAML's own types (for configuration files)."""
    return yaml.load(text, Loader=SafeLoader)


# The shape a Smartable item's front matter has, line by line: indentation, "- " for a list item, then
# `key:` followed by nothing (a block follows) or by a value on the same line, or a list item's value
# alone. A value is double-quoted, escaping only `"` and `\`, or plain from a few characters no YAML
# indicator or comment can hide in. Front matter of that shape is read here, a third faster than libyaml
# builds its nodes; anything else, however slightly different, goes to libyaml.
_WORD = r"[A-Za-z0-9._+/()'-]"
_PLAIN = rf"(?:[A-Za-z0-9/]{_WORD}*(?::{_WORD}+)*(?: [A-Za-z0-9(/]{_WORD}*(?::{_WORD}+)*)*|-[0-9][0-9.]*)"
_QUOTED = r'("[^"\\\n]*(?:\\["\\][^"\\\n]*)*")'  # with its quotes: findall gives "" for no value
_LINE = re.compile(rf"^( *)(- )?(?:([A-Za-z_][A-Za-z0-9_-]{{0,99}}):(?: {_QUOTED}| ({_PLAIN}))?|{_QUOTED}|({_PLAIN}))$"
                   r"|^ *$", re.M)
_ESCAPED = re.compile(r'\\(["\\])')
_AWKWARD = ("\t", "\r", "\x85", "\u2028", "\u2029", "\ufeff")  # breaks and spaces libyaml reads its own way


def simple_mapping(text: str, max_depth: int | None = None) -> dict | None:
    """What StringLoader gives for `text`, when it has the simple shape above and nests mappings and
    lists at most `max_depth` deep (else None)."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    for character in _AWKWARD:
        if character in text:
            return None
    lines = _LINE.findall(text)
    if len(lines) != text.count("\n") + 1:
        return None  # a line of another shape (each line matches once at most)
    root: dict = {}
    open_blocks: list[tuple[int, dict | list]] = [(0, root)]  # (column, block), innermost last
    pending = None  # (mapping, key, column) of a key with nothing after its colon
    if max_depth is None:
        max_depth = len(lines) + 1
    for indent, dash, key, quoted, plain, item_quoted, item_plain in lines:
        if not (key or item_quoted or item_plain):
            continue  # blank
        column = len(indent)
        if pending is not None:
            owner, name, at = pending
            pending = None
            if column > at:
                owner[name] = [] if dash else {}
                open_blocks.append((column, owner[name]))
                if len(open_blocks) > max_depth:
                    return None
            else:  # (a list beside its key, valid YAML, is refused below: a dash in a mapping)
                owner[name] = None
        while open_blocks[-1][0] > column:
            open_blocks.pop()
        block_column, block = open_blocks[-1]
        if block_column != column:
            return None
        if dash:
            if type(block) is not list:
                return None
            column += 2
            if not key:
                value = _scalar(item_quoted, item_plain)
                if value is _NOT_SIMPLE:
                    return None
                block.append(value)
                continue
            item: dict = {}
            block.append(item)
            open_blocks.append((column, item))
            if len(open_blocks) > max_depth:
                return None
            block = item
        elif not key or type(block) is not dict:
            return None
        if key in NULL_WORDS:
            return None  # a key `null` is None to libyaml
        if not (quoted or plain):
            pending = (block, key, column)
            continue
        value = _scalar(quoted, plain)
        if value is _NOT_SIMPLE:
            return None
        block[key] = value
    if pending is not None:
        pending[0][pending[1]] = None
    return root or None


_NOT_SIMPLE = object()


def _scalar(quoted: str, plain: str):
    if not quoted:
        return None if plain in NULL_WORDS else plain
    quoted = quoted[1:-1]
    if "\\" in quoted:
        quoted = _ESCAPED.sub(r"\1", quoted)
    return quoted if quoted.isprintable() or not quoted else _NOT_SIMPLE  # libyaml refuses control characters
