"""Showing text that came from a submission: escaped and capped, never interpreted."""

from __future__ import annotations


def escape(text: str, limit: int = 2000) -> str:
    """Control characters (terminal escapes included) shown as \\xNN; cut after `limit`."""
    shown = []
    for char in text[:limit]:
        if char in "\n\t" or (char.isprintable() and ord(char) >= 0x20):
            shown.append(char)
        else:
            shown.append(f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
    result = "".join(shown)
    if len(text) > limit:
        result += f"\n(cut: {len(text) - limit} more characters)"
    return result
