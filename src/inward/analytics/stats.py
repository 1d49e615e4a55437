"""Significance tests for A/B comparisons, by hand with ``math`` (no SciPy), and the
plain-language verdict shown next to them.

``two_proportion_p`` is the two-sided two-proportion z-test with a pooled proportion;
``chi_squared_p`` the chi-squared test of independence on a variants x (engaged, not
engaged) table. Both are large-sample approximations, so ``verdict`` says "not enough
evidence yet" until every variant has ``MIN_REACHED`` people and every cell of the table
is expected to hold at least ``MIN_EXPECTED``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

MIN_REACHED = 30
MIN_EXPECTED = 5
ALPHA = 0.05


def two_proportion_p(successes_a: int, total_a: int, successes_b: int, total_b: int) -> float:
    """Two-sided p-value of "A and B have the same rate", pooled z-test."""
    if total_a <= 0 or total_b <= 0:
        return 1.0
    pooled = (successes_a + successes_b) / (total_a + total_b)
    spread = pooled * (1 - pooled) * (1 / total_a + 1 / total_b)
    if spread <= 0:
        return 1.0
    z = (successes_a / total_a - successes_b / total_b) / math.sqrt(spread)
    return math.erfc(abs(z) / math.sqrt(2))


def chi_squared_statistic(table: Sequence[Sequence[int]]) -> tuple[float, int]:
    """Pearson's statistic and degrees of freedom of a contingency table (rows x
    columns); rows or columns that are all zero are left out."""
    rows = [list(r) for r in table if sum(r)]
    columns = [j for j in range(len(rows[0]) if rows else 0) if sum(r[j] for r in rows)]
    grand = sum(sum(r) for r in rows)
    if len(rows) < 2 or len(columns) < 2:
        return 0.0, 0
    statistic = 0.0
    for r in rows:
        for j in columns:
            expected = sum(r) * sum(x[j] for x in rows) / grand
            statistic += (r[j] - expected) ** 2 / expected
    return statistic, (len(rows) - 1) * (len(columns) - 1)


def chi_squared_p(statistic: float, dof: int) -> float:
    """P(X >= statistic) for X chi-squared with ``dof`` degrees of freedom: the
    regularized upper incomplete gamma function Q(dof/2, statistic/2)."""
    if dof <= 0 or statistic <= 0:
        return 1.0
    return upper_regularized_gamma(dof / 2, statistic / 2)


def upper_regularized_gamma(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a): the power series of P below a + 1, a continued
    fraction (modified Lentz) above, each to double precision."""
    if x <= 0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        return 1.0 - _lower_series(a, x, log_prefix)
    return _upper_fraction(a, x, log_prefix)


def _lower_series(a: float, x: float, log_prefix: float) -> float:
    term = total = 1.0 / a
    denominator = a
    for _n in range(1000):
        denominator += 1
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * 1e-16:
            break
    return total * math.exp(log_prefix)


def _upper_fraction(a: float, x: float, log_prefix: float) -> float:
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    result = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        result *= step
        if abs(step - 1) < 1e-16:
            break
    return result * math.exp(log_prefix)


@dataclass(frozen=True)
class Arm:
    """One variant in a comparison: its name, how many it reached, how many engaged."""

    label: str
    reached: int
    engaged: int

    @property
    def rate(self) -> float:
        return self.engaged / self.reached if self.reached else 0.0


@dataclass(frozen=True)
class Outcome:
    p_value: float | None
    significant: bool
    verdict: str


def compare(arms: Sequence[Arm]) -> Outcome:
    """Test whether the variants' engagement rates differ and say so in a sentence."""
    if len(arms) < 2:
        return Outcome(None, False, _("Only one variant: nothing to compare."))
    if not _large_enough(arms):
        return Outcome(None, False, not_enough_evidence())
    if len(arms) == 2:
        a, b = arms
        p = two_proportion_p(a.engaged, a.reached, b.engaged, b.reached)
    else:
        table = [[arm.engaged, arm.reached - arm.engaged] for arm in arms]
        p = chi_squared_p(*chi_squared_statistic(table))
    return Outcome(p, p < ALPHA, _sentence(arms, p))


def _large_enough(arms: Sequence[Arm]) -> bool:
    reached = sum(arm.reached for arm in arms)
    engaged = sum(arm.engaged for arm in arms)
    if min(arm.reached for arm in arms) < MIN_REACHED or not reached:
        return False
    for arm in arms:
        for share in (engaged / reached, 1 - engaged / reached):
            if arm.reached * share < MIN_EXPECTED:
                return False
    return True


def not_enough_evidence(reason: str = "") -> str:
    return _(
        "Not enough evidence yet: each variant needs at least %(reached)d people reached, "
        "and enough who engaged and who did not, before a difference means anything."
    ) % {"reached": MIN_REACHED} + (f" {reason}" if reason else "")


def _chance(p: float) -> str:
    if p < 0.001:
        return _("less than 1 time in 1,000")
    if p < 0.01:
        return _("less than 1 time in 100")
    if p < ALPHA:
        return _("less than 1 time in 20")
    if p < 0.15:
        return _("about 1 time in %(n)d") % {"n": round(1 / p)}
    return _("about %(n)d times in 10") % {"n": max(1, min(10, round(p * 10)))}


def _percent(rate: float) -> str:
    return f"{rate * 100:.0f}%"


def _sentence(arms: Sequence[Arm], p: float) -> str:
    ranked = sorted(arms, key=lambda arm: arm.rate, reverse=True)
    best, rest = ranked[0], ranked[1:]
    others = ", ".join(_percent(arm.rate) for arm in rest)
    values = {
        "best": best.label,
        "rate": _percent(best.rate),
        "others": others,
        "chance": _chance(p),
    }
    if p < ALPHA:
        return (
            _(
                "%(best)s got more people to engage (%(rate)s vs %(others)s); a difference "
                "this large would happen by chance %(chance)s."
            )
            % values
        )
    return (
        _(
            "No clear winner yet: %(best)s's %(rate)s against %(others)s could be chance; "
            "a difference this large would happen by chance %(chance)s."
        )
        % values
    )
