"""Small server-rendered charts (no scripts): a supplier's score over recent cycles as SVG geometry."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str
    score: int


@dataclass(frozen=True)
class ScoreChart:
    width: int
    height: int
    points: list[ChartPoint]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    def describe(self) -> str:
        """The chart in words, in the page's language (for screen readers)."""
        parts = ", ".join(f"{p.label}: {p.score}" for p in self.points)
        return _("Score per cycle: %(scores)s", scores=parts)


def score_chart(history: list[tuple[str, int]], *, width: int = 180, height: int = 56) -> ScoreChart | None:
    """Map (cycle, score 0-100) pairs, oldest first, onto a width x height box; None without scores."""
    if not history:
        return None
    pad_x, pad_top, pad_bottom = 8.0, 6.0, 6.0
    inner_w = width - 2 * pad_x
    inner_h = height - pad_top - pad_bottom

    def y_of(score: float) -> float:
        return pad_top + inner_h * (1 - max(0.0, min(100.0, score)) / 100)

    step = inner_w / (len(history) - 1) if len(history) > 1 else 0.0
    points = [
        ChartPoint(x=pad_x + (i * step if len(history) > 1 else inner_w / 2), y=y_of(score), label=name, score=score)
        for i, (name, score) in enumerate(history)
    ]
    return ScoreChart(width, height, points)
