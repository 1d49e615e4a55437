from __future__ import annotations

import pytest

from inward.analytics.stats import (
    Arm,
    chi_squared_p,
    chi_squared_statistic,
    compare,
    two_proportion_p,
    upper_regularized_gamma,
)


def test_it_gives_the_textbook_p_of_a_two_proportion_z_test() -> None:
    # pooled p = 0.25, z = 0.1 / sqrt(0.25 * 0.75 * 0.02) = 1.633
    assert two_proportion_p(30, 100, 20, 100) == pytest.approx(0.1025, abs=5e-4)
    assert two_proportion_p(20, 100, 30, 100) == two_proportion_p(30, 100, 20, 100)
    assert two_proportion_p(50, 100, 50, 100) == pytest.approx(1.0)
    assert two_proportion_p(0, 10, 0, 10) == 1.0


@pytest.mark.parametrize(
    ("statistic", "dof", "p"),
    [
        # Critical values from the chi-squared table (e.g. NIST/SEMATECH handbook 1.3.6.7.4).
        (3.841, 1, 0.05),
        (6.635, 1, 0.01),
        (5.991, 2, 0.05),
        (7.815, 3, 0.05),
        (13.277, 4, 0.01),
        (18.307, 10, 0.05),
        (23.209, 10, 0.01),
        (0.455, 1, 0.50),
        (124.342, 100, 0.05),
    ],
)
def test_it_matches_the_chi_squared_table(statistic: float, dof: int, p: float) -> None:
    assert chi_squared_p(statistic, dof) == pytest.approx(p, rel=2e-3)


def test_chi_squared_with_one_degree_of_freedom_is_the_squared_z_test() -> None:
    statistic, dof = chi_squared_statistic([[30, 70], [20, 80]])
    assert dof == 1
    assert statistic == pytest.approx(2.6667, abs=1e-3)
    assert chi_squared_p(statistic, dof) == pytest.approx(two_proportion_p(30, 100, 20, 100))


def test_the_incomplete_gamma_function_meets_its_closed_forms() -> None:
    # Q(1, x) = exp(-x); Q(0.5, x) = erfc(sqrt(x)).
    import math

    for x in (0.1, 1.0, 2.5, 10.0, 40.0):
        assert upper_regularized_gamma(1, x) == pytest.approx(math.exp(-x), rel=1e-10)
        assert upper_regularized_gamma(0.5, x) == pytest.approx(math.erfc(math.sqrt(x)), rel=1e-9)


def test_it_says_which_variant_won_in_plain_words() -> None:
    outcome = compare([Arm("Variant A", 400, 88), Arm("Variant B", 400, 124)])
    assert outcome.significant
    assert outcome.verdict == (
        "Variant B got more people to engage (31% vs 22%); a difference this large would "
        "happen by chance less than 1 time in 100."
    )


def test_it_says_no_clear_winner_when_the_difference_could_be_chance() -> None:
    outcome = compare([Arm("Variant A", 100, 20), Arm("Variant B", 100, 30)])
    assert not outcome.significant
    assert outcome.verdict.startswith("No clear winner yet: Variant B's 30% against 20%")
    assert "about 1 time in 10" in outcome.verdict


def test_it_waits_for_enough_people_before_judging() -> None:
    outcome = compare([Arm("Variant A", 20, 2), Arm("Variant B", 20, 15)])
    assert outcome.p_value is None
    assert outcome.verdict.startswith("Not enough evidence yet")
    few_engaged = compare([Arm("Variant A", 100, 1), Arm("Variant B", 100, 3)])
    assert few_engaged.p_value is None


def test_it_compares_more_than_two_variants_with_chi_squared() -> None:
    outcome = compare([Arm("A", 200, 40), Arm("B", 200, 44), Arm("C", 200, 70)])
    statistic, dof = chi_squared_statistic([[40, 160], [44, 156], [70, 130]])
    assert dof == 2
    assert outcome.p_value == pytest.approx(chi_squared_p(statistic, dof))
    assert outcome.significant
    assert outcome.verdict.startswith("C got more people to engage (35% vs 22%, 20%)")


def test_the_verdict_is_translated() -> None:
    from django.utils import translation

    with translation.override("nl"):
        outcome = compare([Arm("A", 10, 1), Arm("B", 10, 2)])
    assert outcome.verdict  # falls back to English until the catalogue has it
