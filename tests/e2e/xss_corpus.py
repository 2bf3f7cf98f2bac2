"""The XSS payloads of tests/data/xss_payloads.txt, by section."""

from pathlib import Path

FILE = Path(__file__).parents[1] / "data" / "xss_payloads.txt"


def _sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("# [") and "]" in line:
            current = sections.setdefault(line[3 : line.index("]")], [])
        elif line and not line.startswith("#") and current is not None:
            current.append(line)
    return sections


SECTIONS = _sections()
# Each runs by itself on load when rendered unescaped.
FIRING: list[str] = SECTIONS["fires"]
# Fires on load too, for fields of 20 characters.
SHORT: list[str] = SECTIONS["short"]
# The rest of the corpus: needs an interaction or a library, inert, or template syntax.
OTHER: list[str] = SECTIONS["other"]
# Everything, firing ones first.
PAYLOADS: list[str] = FIRING + SHORT + OTHER
