"""Plain-text tables for the command line, aligned for CJK text (two columns per wide character)."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Terminal columns a string takes: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def render(header: tuple, rows: list[tuple]) -> str:
    """A table with a header rule; every cell is str()-ed and padded by its display width."""
    table = [tuple(str(c) for c in header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(width(row[i]) for row in table) for i in range(len(header))]

    def line(row):
        return "  ".join(cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(table[0]), rule, *(line(row) for row in table[1:])])
