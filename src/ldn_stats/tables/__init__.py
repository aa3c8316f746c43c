"""Report tables: numbers in; CSV, Markdown, HTML, LaTeX and DOCX out."""

from __future__ import annotations

from ldn_stats.tables.table import Table

__all__ = ["Table"]
