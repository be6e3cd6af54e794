#!/usr/bin/env python3
"""Reference correlations from scipy.stats for reports/tests/scipy_reference.rs.

    pip install scipy==1.17.1 && python3 scipy_reference.py > scipy_reference.json

The inputs come from a fixed LCG and are stored in the JSON beside the results;
they cover no ties, ties in one or both inputs, and anti-correlation.
"""
import json

import scipy
from scipy import stats


def lcg(seed, n, modulo=None):
    state, out = seed, []
    for _ in range(n):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        v = state >> 11
        out.append(float(v % modulo) if modulo else v / 2**53)
    return out


def cases():
    x = lcg(1, 200)
    yield "no_ties", x, [a + 0.5 * b for a, b in zip(x, lcg(2, 200))]
    yield "ties_in_x", lcg(3, 150, modulo=7), lcg(4, 150)
    yield "ties_in_both", lcg(5, 300, modulo=5), lcg(6, 300, modulo=9)
    z = lcg(7, 60)
    yield "anti", z, [-a + 0.2 * b for a, b in zip(z, lcg(8, 60, modulo=3))]
    yield "small", [1.0, 2.0, 3.0, 4.0, 5.0], [5.0, 6.0, 7.0, 8.0, 7.0]


out = {"scipy": scipy.__version__, "cases": []}
for name, x, y in cases():
    tau = stats.kendalltau(x, y, variant="b", method="asymptotic")
    rho = stats.spearmanr(x, y)
    r = stats.pearsonr(x, y)
    out["cases"].append({
        "name": name, "x": x, "y": y,
        "kendall_tau_b": tau.statistic, "kendall_p": tau.pvalue,
        "spearman_rho": rho.statistic, "spearman_p": rho.pvalue,
        "pearson_r": r.statistic, "pearson_p": r.pvalue,
    })
def paired_cases():
    a = lcg(11, 20)
    yield "wilcoxon_exact", a, [v + 0.3 * (b - 0.4) for v, b in zip(a, lcg(12, 20))]
    b = lcg(13, 60, modulo=6)
    yield "wilcoxon_ties", b, [v + (w % 3) - 1 for v, w in zip(b, lcg(14, 60, modulo=5))]


def unpaired_cases():
    yield "mannwhitney_exact", lcg(15, 7), [v + 0.3 for v in lcg(16, 8)]
    yield "mannwhitney_ties", lcg(17, 40, modulo=9), lcg(18, 55, modulo=11)


out["tests"] = []
for name, x, y in paired_cases():
    w = stats.wilcoxon(x, y)
    out["tests"].append({"name": name, "x": x, "y": y, "statistic": w.statistic, "p": w.pvalue})
for name, x, y in unpaired_cases():
    u = stats.mannwhitneyu(x, y)
    out["tests"].append({"name": name, "x": x, "y": y, "statistic": u.statistic, "p": u.pvalue})
blocks = [lcg(20 + i, 4, modulo=5) for i in range(12)]
f = stats.friedmanchisquare(*zip(*blocks))
out["friedman"] = {"blocks": blocks, "statistic": f.statistic, "p": f.pvalue}
print(json.dumps(out, indent=1))
