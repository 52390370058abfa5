"""How long a text message is, as the networks count it (3GPP TS 23.038).

A text that every character of is in the GSM 7-bit default alphabet is sent in GSM-7:
one segment holds 160 septets, and a character of the alphabet's extension table
(``{ } [ ] ~ ^ \\ | €`` and the form feed) takes two. Any other character makes the
whole text UCS-2: one segment holds 70 UTF-16 code units (a character beyond the Basic
Multilingual Plane, an emoji, takes two). A longer text is split into several segments,
each billed and sometimes delivered apart: a notice is meant to fit in one.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7, UCS2 = "GSM-7", "UCS-2"
ONE_SEGMENT = {GSM7: 160, UCS2: 70}


@dataclass(frozen=True, slots=True)
class Length:
    encoding: str  # GSM7 or UCS2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)

    @property
    def limit(self) -> int:
        """What one segment holds in this encoding."""
        return ONE_SEGMENT[self.encoding]

    @property
    def fits(self) -> bool:
        return self.units <= self.limit

    def __str__(self) -> str:
        unit = "septets" if self.encoding == GSM7 else "characters"
        return f"{self.units} {unit} in {self.encoding} (one segment holds {self.limit})"


def length(text: str) -> Length:
    """The encoding ``text`` is sent in and its length in that encoding's units."""
    septets = 0
    for ch in text:
        if ch in GSM7_BASIC:
            septets += 1
        elif ch in GSM7_EXTENSION:
            septets += 2
        else:
            return Length(UCS2, len(text.encode("utf-16-le")) // 2)
    return Length(GSM7, septets)
