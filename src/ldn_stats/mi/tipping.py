"""Tipping-point analysis placeholder (filled below)."""
from __future__ import annotations


class TippingPoint:
    pass


def tipping_point_figure(tp):
    raise NotImplementedError


def run_grid(*a, **k):
    raise NotImplementedError
