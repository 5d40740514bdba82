"""A set of strings compiled into one regular expression that finds the longest key at the
leftmost position, scanning in C rather than probing a Python dictionary at every offset.

The keys form a trie, and the trie is written as nested groups: `(?:a(?:b(?:c)?|d))` for the
keys `ab`, `abc` and `ad`. Each group's alternatives start with different characters, so at most
one of them can go on, and a key that ends at a node makes the rest of that node optional.
Because the optional part is greedy, a match is the longest key starting where it starts, and
`search` returns the leftmost position where any key starts. Python's `re` tries an
alternation's branches one by one; the trie keeps every branch to one character test, which is
what makes a lexicon of 100,000 entries searchable (the `regex` module's named lists
`\\L<...>` were measured a thousand times slower on such a set). `regex`'s and `re`'s plain
alternations of whole keys are slower again, and longest-first only if sorted by length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WIDTH = 16  # branches tried one by one at a trie node, see _alternation
_END = ""  # the trie's marker for "a key ends here" (no key character is empty)


def key_pattern(keys: Iterable[str]) -> re.Pattern[str]:
    """A pattern whose `search(text, pos)` finds the longest key at the leftmost offset >= pos
    where some key starts. Empty keys are ignored; with no key the pattern never matches."""
    trie: dict[str, dict] = {}
    for key in keys:
        if not key:
            continue
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[_END] = {}
    if not trie:
        return re.compile(r"(?!)")
    return re.compile(_node_pattern(trie))


def _node_pattern(node: dict[str, dict]) -> str:
    """What may follow a trie node: one of its children and what follows it, optional when a
    key ends at the node. Iterative, so a long key cannot exhaust Python's recursion limit."""
    # Post-order over the trie: a node's pattern is built once its children's patterns are.
    built: dict[int, str] = {}
    stack: list[tuple[dict[str, dict], bool]] = [(node, False)]
    while stack:
        current, children_done = stack.pop()
        if not children_done:
            stack.append((current, True))
            stack.extend((child, False) for char, child in current.items() if char != _END)
            continue
        branches = [
            (char, re.escape(char) + built.pop(id(child)))
            for char, child in sorted(current.items())
            if char != _END
        ]
        if not branches:
            built[id(current)] = ""
            continue
        body = branches[0][1] if len(branches) == 1 else f"(?:{_alternation(branches)})"
        if _END in current:
            body = f"(?:{body})?"
        built[id(current)] = body
    return built[id(node)]


def _alternation(branches: list[tuple[str, str]]) -> str:
    """`a|b|...` over branches (first character, pattern) sorted by first character. `re` tries
    an alternation's branches one by one, so a node with thousands of children (the first
    characters of a Chinese lexicon) would cost thousands of tests at every offset: wide ones
    are split into at most `_WIDTH` groups, each behind a lookahead for its first characters
    (one set test), and so on down."""
    if len(branches) <= _WIDTH:
        return "|".join(pattern for _, pattern in branches)
    size = -(-len(branches) // _WIDTH)
    groups = [branches[i : i + size] for i in range(0, len(branches), size)]
    return "|".join(
        f"(?=[{''.join(re.escape(char) for char, _ in group)}])(?:{_alternation(group)})"
        for group in groups
    )
