"""YAML loaders: libyaml when present, never constructing Python objects.

Front matter is loaded with every plain scalar kept as the string the writer typed
(YAML 1.1 would turn `title: NO` into False and `title: 1e3` into 1000.0); fields are
then coerced one by one with the type each one needs.
"""

from __future__ import annotations

import re

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import BaseResolver

try:
    from yaml.cyaml import CParser as _Parser
    from yaml.cyaml import CSafeLoader as SafeLoader

    HAS_LIBYAML = True
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

    HAS_LIBYAML = False


class _NoAliasConstructor(SafeConstructor):
    """Refuses aliases: expanding shared references is how a 'billion laughs' file exhausts memory."""

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise ConstructorError(None, None, "YAML aliases (*name) are not allowed in documents", node.start_mark)
        return super().construct_object(node, deep)


class StringLoader(_Parser, _NoAliasConstructor, BaseResolver):
    def __init__(self, stream):
        _Parser.__init__(self, stream)
        _NoAliasConstructor.__init__(self)
        BaseResolver.__init__(self)


# Only null keeps its YAML meaning, so that `topics: [null]` is an empty slot, not a topic named "null".
StringLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


def load_strings(text: str):
    """Load one YAML document with plain scalars kept as strings."""
    return yaml.load(text, Loader=StringLoader)


def load_typed(text: str):
    """Load one YAML document with YAML's own types (for configuration files)."""
    return yaml.load(text, Loader=SafeLoader)
