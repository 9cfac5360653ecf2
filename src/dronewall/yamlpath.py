"""Where a field of a YAML file is: the line to name in an error message.

Shared by every reader of YAML data files (scenarios, flight plans, rules), so that each
names ``file:line: field: message`` the same way."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

PathItem = str | int


def node_line(root: yaml.Node | None, path: Sequence[PathItem]) -> int:
    """1-based line of the deepest node along ``path`` (the key's line for a mapping
    entry, so a missing value still points at its key)."""
    if root is None:
        return 1
    node: yaml.Node = root
    line = node.start_mark.line + 1
    for p in path:
        if isinstance(node, yaml.MappingNode) and isinstance(p, str):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == p:
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(p, int):
            if p >= len(node.value):
                return line
            node = node.value[p]
            line = node.start_mark.line + 1
        else:
            return line
    return line
