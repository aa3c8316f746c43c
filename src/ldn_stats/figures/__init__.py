"""Report figures: one style, colour-blind-safe palette, byte-reproducible PNG, SVG, PDF."""

from __future__ import annotations

from ldn_stats.figures.figure import ReportFigure
from ldn_stats.figures.style import arm_colours, figure_style, save_figure

__all__ = ["ReportFigure", "arm_colours", "figure_style", "save_figure"]
