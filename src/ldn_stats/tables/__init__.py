"""Report tables: numbers in; CSV, Markdown, HTML, LaTeX, DOCX and RTF out."""

from __future__ import annotations

from ldn_stats.tables.table import Table

__all__ = ["Table"]
