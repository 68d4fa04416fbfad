"""The Python API of custlens, for notebooks and scripts.

``import custlens as cl`` gives these names (loaded on first use, so ``import custlens``
stays fast). Every analysis takes an open workspace and returns a pandas DataFrame, or the
Ibis expression with ``lazy=True``:

========================  ===========================================================
Workspaces                :func:`open_workspace`, :func:`import_file`,
                          :func:`demo_workspace`, :func:`load_cdnow`
Customer value            :func:`rfm`, :func:`segments`, :func:`lifecycle`, :func:`kpi`,
                          :func:`compare`
Behaviour and patterns    :func:`funnel`, :func:`cohorts`, :func:`basket`
Customer lifetime value   :func:`clv_summary`, :class:`BetaGeoModel`,
                          :class:`GammaGammaModel`
Reports                   :func:`report`
========================  ===========================================================

The walkthrough is docs/python-api.md.

Examples
--------
>>> import custlens as cl
>>> ws = cl.demo_workspace()
>>> groups = cl.segments(ws, by="group")
>>> int(groups["customers"].sum()) == len(cl.rfm(ws))
True
"""

from custlens.analytics.clv.bgnbd import BetaGeoModel
from custlens.analytics.clv.gamma_gamma import GammaGammaModel
from custlens.api.behaviour import basket, cohorts, funnel
from custlens.api.reporting import clv_summary, report
from custlens.api.value import compare, kpi, lifecycle, rfm, segments
from custlens.api.workspace import demo_workspace, import_file, open_workspace
from custlens.datasets import load_cdnow

__all__ = [
    "BetaGeoModel",
    "GammaGammaModel",
    "basket",
    "clv_summary",
    "cohorts",
    "compare",
    "demo_workspace",
    "funnel",
    "import_file",
    "kpi",
    "lifecycle",
    "load_cdnow",
    "open_workspace",
    "report",
    "rfm",
    "segments",
]
