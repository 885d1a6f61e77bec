"""The exception tree drawn in miniorm.errors' docstring is the real class tree."""

from __future__ import annotations

import re

from miniorm import errors


def drawn_tree() -> list[tuple[str, str]]:
    """(child, parent) pairs read from the docstring's drawing, by indentation."""
    pairs, stack = [], []
    for line in errors.__doc__.splitlines():
        match = re.match(r"^(\s*)(?:[│ ]*[├└]── )?([A-Z][A-Za-z]+(?:Error|Found))\b", line)
        if not match or "──" not in line and match.group(2) != "MiniORMError":
            continue
        depth = line.find(match.group(2))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            pairs.append((match.group(2), stack[-1][1]))
        stack.append((depth, match.group(2)))
    return pairs


def test_every_class_in_the_drawing_derives_from_the_parent_drawn_above_it():
    pairs = drawn_tree()
    assert len(pairs) >= 12
    for child, parent in pairs:
        assert getattr(errors, child).__bases__ == (getattr(errors, parent),), (child, parent)


def test_every_exception_class_of_the_module_is_in_the_drawing():
    drawn = {child for child, _ in drawn_tree()} | {"MiniORMError"}
    defined = {name for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, Exception)}
    assert defined == drawn


def test_an_integrity_error_carries_kind_constraint_and_statement():
    error = errors.IntegrityError("boom", kind="unique", constraint="user_email_key",
                                  sql="INSERT ...", params=["a"])
    assert (error.kind, error.constraint, error.sql, error.params) == (
        "unique", "user_email_key", "INSERT ...", ["a"])
    assert isinstance(error, errors.DatabaseError)
