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


def escape_name(name: str, limit: int = 200) -> str:
    """A file name on one line: bytes that are not UTF-8 (surrogate escapes from
    os.fsdecode) as \\xNN, control characters (newlines and terminal escapes included)
    as \\xNN, cut after `limit`."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    shown = "".join(char if char.isprintable() and ord(char) >= 0x20 else
                    (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
                    for char in text[:limit])
    return shown + ("..." if len(text) > limit else "")
