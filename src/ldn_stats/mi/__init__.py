"""Reference-based multiple imputation (rbmi parity) for missing data per ICH E9(R1).

``draws`` fits the imputation model, ``Draws.impute`` imputes under MAR, JR,
CR, CIR, LMCF or a user strategy, ``Imputations.analyse`` runs the analysis
model (per-visit ANCOVA or MMRM with Kenward-Roger) with an optional delta on
the imputed values, ``Analysis.pool`` pools; ``Imputations.tipping_point`` runs a
delta grid on the same imputations and :func:`tipping_point_figure` draws it.

Examples
--------
>>> from ldn_stats import mi
>>> sorted(mi.STRATEGIES)
['CIR', 'CR', 'JR', 'LMCF', 'MAR']
"""

from __future__ import annotations

from ldn_stats.mi.core import Analysis, Draws, Imputations, Sample, draws
from ldn_stats.mi.pool import (
                               Pooled,
                               barnard_rubin_df,
                               bmlmi_pool,
                               bootstrap_pool,
                               jackknife_pool,
                               rubin_rules,
)
from ldn_stats.mi.strategies import BUILTIN as STRATEGIES
from ldn_stats.mi.strategies import Pars, compute_sigma
from ldn_stats.mi.tipping import TippingPoint, tipping_point_figure

__all__ = ["STRATEGIES", "Analysis", "Draws", "Imputations", "Pars", "Pooled", "Sample",
           "TippingPoint", "barnard_rubin_df", "bmlmi_pool", "bootstrap_pool", "compute_sigma",
           "draws", "jackknife_pool", "rubin_rules", "tipping_point_figure"]
