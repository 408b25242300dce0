"""Numbers as French readers write them: thin spaces between thousands, a decimal comma, "%" and
units after a non-breaking space."""

from __future__ import annotations

NBSP = "\u00a0"
THIN_NBSP = "\u202f"


def count(value: int) -> str:
    return f"{value:,}".replace(",", THIN_NBSP)


def decimal(value: float, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}"
    return text.replace(",", THIN_NBSP).replace(".", ",")


def percent(share: float) -> str:
    """A share between 0 and 1, rounded to the unit: 0.666 → "67 %"."""
    return f"{round(share * 100)}{NBSP}%"


def hours(value: float) -> str:
    """A duration in real hours, in the unit a person reads best: minutes, hours, then days."""
    if value < 1:
        return f"{round(value * 60)}{NBSP}min"
    if value < 48:
        return f"{decimal(value)}{NBSP}h"
    return f"{decimal(value / 24)}{NBSP}j"
