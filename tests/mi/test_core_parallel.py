"""MI on a real two-worker Dask LocalCluster (started and stopped here) equals the serial
run byte for byte: jackknife refits, bootstrap fits and random imputations, and the MMRM
analyses of the completed data sets."""

from __future__ import annotations

from ldn_stats import mi
from ldn_stats.parallel import cluster
from support.mi_data import FORMULA, REFERENCES, antidepressant, ice

SMALL = antidepressant().iloc[:160]  # 40 patients: 41 jackknife fits, 4 chunks
ICE = ice("JR")[ice("JR").PATIENT.isin(set(SMALL.PATIENT))]


def _pooled(dr, kind="ancova", client=None):
    return dr.impute(REFERENCES).analyse(kind, covariates=["BASVAL"], client=client).pool()


def test_two_workers_equal_serial():
    serial_jk = mi.draws(SMALL, FORMULA, group="THERAPY", ice=ICE, workers=0)
    serial_ab = mi.draws(SMALL, FORMULA, group="THERAPY", ice=ICE, method="approxbayes",
                         n_samples=26, seed=5, workers=0)
    few = mi.draws(SMALL, FORMULA, group="THERAPY", ice=ICE, method="approxbayes",
                   n_samples=13, seed=3, workers=0)
    serial_mmrm = _pooled(few, "mmrm")
    with cluster(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        par_jk = mi.draws(SMALL, FORMULA, group="THERAPY", ice=ICE, client=client)
        par_ab = mi.draws(SMALL, FORMULA, group="THERAPY", ice=ICE, method="approxbayes",
                          n_samples=26, seed=5, client=client)
        par_mmrm = _pooled(few, "mmrm", client=client)  # 13 MMRM analyses, 2 chunks
    assert par_mmrm.to_csv() == serial_mmrm.to_csv()
    assert _pooled(par_jk).to_csv() == _pooled(serial_jk).to_csv()
    assert _pooled(par_ab).to_csv() == _pooled(serial_ab).to_csv()
    for a, b in zip(par_ab.samples, serial_ab.samples, strict=True):
        assert a.beta.tobytes() == b.beta.tobytes()
