"""A/B analysis and planning: against statsmodels/scipy on hand fixtures and against the demo
world's planted A/B uplift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

from custlens.analytics.campaigns.ab_metrics import ratio_difference
from custlens.analytics.campaigns.abtest import analyze_experiment, experiment_frame
from custlens.analytics.campaigns.planning import plan_conversion_test, plan_mean_test
from custlens.analytics.patterns.periods import Period
from custlens.analytics.period_measures import measure_values
from custlens.analytics.value.metrics import default_as_of
from custlens.errors import InputError, UsageError
from tests.conftest import demo_workspace

TOL = 1e-9


def _frame(n_c=400, n_t=400, x_c=40, x_t=64, seed=2, labels=("control", "treatment")):
    """Two arms with fixed conversions and revenue correlated with a pre-period value."""
    rng = np.random.default_rng(seed)
    n = n_c + n_t
    variant = np.array([labels[0]] * n_c + [labels[1]] * n_t)
    converted = np.zeros(n, dtype=bool)
    converted[:x_c] = True
    converted[n_c : n_c + x_t] = True
    pre = rng.gamma(1.5, 40.0, n)
    revenue = 0.7 * pre + rng.exponential(20.0, n) + np.where(variant == labels[1], 6.0, 0.0)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "variant": variant,
            "converted": converted,
            "revenue": revenue,
            "pre_revenue": pre,
        }
    )


def test_results_match_statsmodels_and_scipy():
    f = _frame()
    r = analyze_experiment(f, n_resamples=500)
    conv, rev = r["results"]
    _z, p = proportions_ztest([64, 40], [400, 400])
    assert conv["metric"] == "conversion" and conv["test"] == "z_test"
    assert conv["p_value"] == pytest.approx(p, abs=TOL)
    assert conv["diff"] == pytest.approx(0.06, abs=TOL)
    t = f["variant"] == "treatment"
    ref = sps.ttest_ind(f.revenue[t], f.revenue[~t], equal_var=False)
    assert rev["p_value"] == pytest.approx(ref.pvalue, abs=TOL)
    assert rev["boot_ci_low"] < rev["diff"] < rev["boot_ci_high"]
    # CUPED: the pre-period value explains much of the revenue
    assert rev["variance_reduction"] > 0.5
    assert rev["cuped_ci_high"] - rev["cuped_ci_low"] < rev["ci_high"] - rev["ci_low"]
    # Holm over the p-values decided on (CUPED for revenue)
    holm = multipletests([conv["p_value"], rev["cuped_p_value"]], method="holm")[1]
    assert [conv["p_adjusted"], rev["p_adjusted"]] == pytest.approx(holm, abs=TOL)
    assert r["arms"] == {"control": 400, "treatment": 400}
    assert not r["checks"]["srm"]["mismatch"]
    assert r["checks"]["peeking"] is None


def test_decision_reads_in_zh_and_en():
    f = _frame()
    zh = analyze_experiment(f, ["conversion"], lang="zh")
    en = analyze_experiment(f, ["conversion"], lang="en")
    # 16% vs 10%: se = sqrt(.16 * .84 / 400 + .1 * .9 / 400) = 0.02369, 1.96 se = 4.64 points
    assert zh["decision"] == "实验组提升转化率 +6.0 个百分点（95% CI 1.4–10.6），可以推广"
    assert en["decision"].startswith("Treatment raises conversion rate by +6.0 percentage points")
    flat = analyze_experiment(_frame(x_t=41), ["conversion"], lang="zh")
    assert flat["decision"].startswith("转化率差异不显著")


def test_srm_overrides_the_decision():
    r = analyze_experiment(_frame(n_c=400, n_t=520, x_t=80), ["conversion"], lang="en")
    assert r["checks"]["srm"]["mismatch"]
    assert r["checks"]["srm"]["p_value"] == pytest.approx(sps.chisquare([400, 520]).pvalue)
    assert r["decision"].startswith("Sample ratio mismatch")
    # planned 400:520 is what happened: no mismatch
    ok = analyze_experiment(_frame(n_c=400, n_t=520), ["conversion"], planned_split=(400, 520))
    assert not ok["checks"]["srm"]["mismatch"]


def test_variant_names_overlap_and_peeking():
    f = _frame(labels=("A", "B"))
    both = f.iloc[[0]].assign(variant="B")  # C0 in both arms
    r = analyze_experiment(pd.concat([f, both]), ["conversion"], planned_n=1000, lang="en")
    assert r["checks"]["overlap"] == {"customers_in_both_arms": 1, "excluded": True}
    assert r["arms"] == {"control": 399, "treatment": 400}
    assert r["checks"]["peeking"].startswith("Only 399 of the planned 1000")


def test_bad_input_is_reported():
    with pytest.raises(UsageError, match="unknown metric"):
        analyze_experiment(_frame(), ["ltv"])
    with pytest.raises(InputError, match="lack the column"):
        analyze_experiment(_frame().drop(columns="converted"), ["conversion"])
    with pytest.raises(InputError, match="unknown variant"):
        analyze_experiment(_frame(labels=("x", "y")))


@pytest.mark.parametrize(
    ("baseline", "mde", "power", "alpha"), [(0.1, 0.02, 0.8, 0.05), (0.04, 0.01, 0.9, 0.01)]
)
def test_conversion_sample_size_matches_statsmodels(baseline, mde, power, alpha):
    p = plan_conversion_test(baseline, mde, power, alpha, daily_customers=500)
    h = proportion_effectsize(baseline + mde, baseline)
    ref = NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power, ratio=1)
    assert p["effect_size"] == pytest.approx(h, abs=TOL)
    assert p["n_exact"] == pytest.approx(ref, rel=1e-9)
    assert p["n_per_arm"] == int(np.ceil(ref))
    assert p["days"] == int(np.ceil(2 * p["n_per_arm"] / 500))


def test_relative_mde_and_mean_sample_size():
    rel = plan_conversion_test(0.1, 0.2, relative=True)
    assert rel["target_rate"] == pytest.approx(0.12)
    assert rel["n_per_arm"] == plan_conversion_test(0.1, 0.02)["n_per_arm"]
    ref = NormalIndPower().solve_power(effect_size=0.1, alpha=0.05, power=0.8, ratio=2)
    m = plan_mean_test(50.0, 5.0, ratio=2)
    assert m["n_exact"] == pytest.approx(ref, rel=1e-9)
    assert m["n_arm_2"] == 2 * m["n_per_arm"]
    with pytest.raises(UsageError):
        plan_conversion_test(0.95, 0.1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("abtest")
    tables = ("customers", "orders", "campaigns", "campaign_responses")
    ws, truth = demo_workspace(root, 4000, 5, tables=tables)
    yield {k: ws.table(k) for k in tables}, truth
    ws.close()


def test_demo_planted_ab_effects_recovered(demo):
    tables, truth = demo
    for cid, t in truth["campaigns"]["ab_tests"].items():
        f = experiment_frame(tables, cid)
        r = analyze_experiment(f, ["conversion", "revenue_per_user"], n_resamples=500)
        assert r["arms"] == {"control": t["n_control"], "treatment": t["n_treatment"]}
        assert not r["checks"]["srm"]["mismatch"]
        conv = r["results"][0]
        assert conv["value_treatment"] == pytest.approx(t["measured_treatment"], abs=1e-4)
        assert conv["value_control"] == pytest.approx(t["measured_control"], abs=1e-4)
        assert conv["ci_low"] < t["uplift"] < conv["ci_high"]
    with pytest.raises(UsageError, match="no treatment and control"):
        experiment_frame(tables, "CP001")


def test_demo_arm_values_are_the_catalogue_values_of_the_arm(demo):
    """An arm's AOV, repurchase rate and net sales per customer are the metric catalogue's
    values for the window computed on that arm's customers' orders alone."""
    tables, truth = demo
    cid = max(
        truth["campaigns"]["ab_tests"], key=lambda c: truth["campaigns"]["ab_tests"][c]["n_control"]
    )
    f = experiment_frame(tables, cid, post_days=30)
    start, end = f.attrs["window"]
    metrics = ["aov", "repurchase_rate", "gmv", "buyers"]
    r = analyze_experiment(f, metrics, n_resamples=200)
    aov, rep, gmv, buyers = r["results"]
    assert (aov["kind"], aov["test"], rep["kind"], gmv["kind"], buyers["kind"]) == (
        "ratio",
        "delta_ratio",
        "ratio",
        "mean",
        "rate",
    )
    o = tables["orders"]
    as_of = default_as_of(o)
    for variant in ("treatment", "control"):
        ids = f.loc[f.variant == variant, "customer_id"].tolist()
        arm = measure_values(o.filter(o.customer_id.isin(ids)), Period(start, end), as_of=as_of)
        assert aov[f"value_{variant}"] == pytest.approx(arm["aov"], rel=1e-12)
        assert rep[f"value_{variant}"] == pytest.approx(arm["repurchase_rate"], rel=1e-12)
        assert gmv[f"value_{variant}"] * len(ids) == pytest.approx(arm["gmv"], rel=1e-12)
        assert buyers[f"value_{variant}"] * len(ids) == pytest.approx(arm["buyers"], rel=1e-12)
        # customers with an order in the window: the ratio's denominator customers
        assert aov[f"n_{variant}"] == arm["buyers"]


def test_delta_method_by_hand_and_by_linearisation():
    """Σa/Σb per arm, and its variance as the variance of the linearised a − R·b."""
    a1, b1 = np.array([10.0, 30.0, 0.0, 50.0]), np.array([1.0, 2.0, 0.0, 2.0])
    a0, b0 = np.array([10.0, 10.0, 0.0, 40.0]), np.array([1.0, 1.0, 0.0, 1.0])
    r = ratio_difference(a1, b1, a0, b0)
    assert (r["ratio_1"], r["ratio_0"]) == pytest.approx((90 / 5, 60 / 3))

    def var(a, b):
        ratio = a.sum() / b.sum()
        return (a - ratio * b).var(ddof=1) / (a.size * b.mean() ** 2)

    assert r["se"] == pytest.approx(np.sqrt(var(a1, b1) + var(a0, b0)), rel=1e-12)
    assert r["p_value"] == pytest.approx(2 * sps.norm.sf(abs(r["diff"]) / r["se"]), rel=1e-12)


def test_delta_method_variance_matches_the_spread_of_simulated_arms():
    """Over 2,000 simulated arms of 400 customers (orders per customer and order values vary),
    the delta-method standard error of the AOV is the AOV's actual spread within 5%."""
    rng = np.random.default_rng(11)
    sims, n = 2000, 400
    orders = rng.poisson(rng.gamma(0.6, 2.0, (sims, n)))
    gmv = orders * rng.lognormal(4.0, 0.5, (sims, n)) * rng.lognormal(0.0, 0.3, (sims, n))
    aov = gmv.sum(1) / orders.sum(1)
    ses = [ratio_difference(gmv[i], orders[i], gmv[i], orders[i])["se"] for i in range(50)]
    # the difference of an arm with itself has twice the variance of one arm
    assert np.mean(ses) / np.sqrt(2) == pytest.approx(aov.std(ddof=1), rel=0.05)


def test_catalogue_metric_errors():
    with pytest.raises(UsageError, match="cannot compare"):
        analyze_experiment(_frame(), ["churn_rate"])
    f = _frame().assign(gmv=0.0, orders=0.0)
    f.loc[f.index[:5], ["gmv", "orders"]] = (10.0, 1.0)  # orders in the control arm only
    with pytest.raises(InputError, match="at least two customers with orders"):
        analyze_experiment(f, ["aov"])
