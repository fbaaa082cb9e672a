"""Tests of the Pareto front and PySR-style model selection (srkit.core.pareto)."""

from __future__ import annotations

import math

import pytest

from srkit.core import Expr, ParetoFront, default_registry, parse

OPS = default_registry().operator_set(["add", "mul", "sin"], ["x"])


def _e(k: int) -> Expr:
    """A distinct expression for complexity label ``k``."""
    return parse(" + ".join(["x"] * k), OPS)


def _front(losses: dict[int, float], loss_floor: float = 0.0) -> ParetoFront:
    front = ParetoFront(loss_floor=loss_floor)
    for c, loss in losses.items():
        assert front.update(_e(c), loss, complexity=c)
    return front


def test_dominance() -> None:
    front = ParetoFront()
    assert front.update(_e(1), 10.0, complexity=1)
    assert front.update(_e(3), 1.0, complexity=3)
    assert not front.update(_e(5), 2.0, complexity=5)  # worse and more complex
    assert not front.update(_e(3), 1.0, complexity=3)  # no better at the same complexity
    assert not front.update(_e(4), 1.0, complexity=4)  # equal loss, more complex
    assert [(e.complexity, e.loss) for e in front] == [(1, 10.0), (3, 1.0)]
    # a simpler, better newcomer removes every entry it dominates
    assert front.update(_e(2), 0.5, complexity=2)
    assert [(e.complexity, e.loss) for e in front] == [(1, 10.0), (2, 0.5)]


def test_one_entry_per_complexity_keeps_the_best() -> None:
    front = ParetoFront()
    assert front.update(_e(3), 2.0, complexity=3)
    assert front.update(_e(4), 1.0, complexity=3)
    assert len(front) == 1 and front.entries()[0].loss == 1.0 and front.entries()[0].expr == _e(4)


def test_complexity_defaults_to_the_expression_complexity() -> None:
    front = ParetoFront()
    e = parse("sin(x) * 2.0", OPS)
    front.update(e, 0.1)
    assert front.entries()[0].complexity == e.complexity == 4.0


def test_non_finite_and_too_complex_are_refused() -> None:
    front = ParetoFront(max_complexity=5)
    assert not front.update(_e(1), math.inf)
    assert not front.update(_e(1), math.nan)
    assert not front.update(_e(6), 0.1, complexity=6)
    assert not front and front.min_loss == math.inf
    with pytest.raises(ValueError, match="front is empty"):
        front.select()


# -- PySR selection on a hand-made front ------------------------------------------------------
# complexity: loss.  Scores (drop in log-loss per unit complexity):
#   c3: ln(100/0.1)/2 = 3.45  (the biggest jump, but loss 0.1 is far from the best)
#   c5: ln(0.1/0.09)/2 = 0.05
#   c7: ln(0.09/0.001)/2 = 2.25
#   c9: ln(0.001/0.00099)/2 = 0.005
HAND_MADE = {1: 100.0, 3: 0.1, 5: 0.09, 7: 0.001, 9: 0.00099}


def test_scores_match_pysr_definition() -> None:
    entries = _front(HAND_MADE).entries()
    assert [e.complexity for e in entries] == [1, 3, 5, 7, 9]
    assert entries[0].score == 0.0
    expected = [math.log(100 / 0.1) / 2, math.log(0.1 / 0.09) / 2, math.log(0.09 / 0.001) / 2,
                math.log(0.001 / 0.00099) / 2]
    assert [e.score for e in entries[1:]] == pytest.approx(expected, rel=1e-12)


def test_selection_criteria() -> None:
    front = _front(HAND_MADE)
    assert front.select("score").complexity == 3  # highest score overall
    assert front.select("best").complexity == 7  # highest score with loss <= 1.5 * 0.00099
    assert front.select("accuracy").complexity == 9  # lowest loss
    assert front.select().complexity == 7  # "best" is the default
    with pytest.raises(ValueError, match="unknown model selection 'bst'"):
        front.select("bst")  # type: ignore[arg-type]


def test_best_threshold_is_one_and_a_half_times_the_lowest_loss() -> None:
    # c5 (loss 1.2) is inside 1.5 * 1.0 and scores above c9; c3 (loss 1.6) is outside
    front = _front({1: 1000.0, 3: 1.6, 5: 1.2, 9: 1.0})
    scores = {e.complexity: e.score for e in front}
    assert scores[3] > scores[5] > scores[9]
    assert front.select("score").complexity == 3
    assert front.select("best").complexity == 5


def test_exact_zero_loss_scores_infinite_without_floor() -> None:
    front = _front({1: 1.0, 3: 0.0})
    assert front.entries()[1].score == math.inf
    assert front.select("best").complexity == 3


# -- loss floor ---------------------------------------------------------------------------------
def test_losses_below_floor_count_equal_and_simpler_wins() -> None:
    floor = 1e-32
    front = ParetoFront(loss_floor=floor)
    assert front.update(_e(5), 1e-32, complexity=5)
    assert not front.update(_e(7), 1e-33, complexity=7)  # "better" only by round-off
    assert [e.complexity for e in front] == [5]
    # the other order: the simpler one arrives later and replaces the complex one
    front = ParetoFront(loss_floor=floor)
    assert front.update(_e(7), 1e-33, complexity=7)
    assert front.update(_e(5), 1e-32, complexity=5)
    assert [e.complexity for e in front] == [5]
    assert front.select("accuracy").complexity == 5


def test_without_floor_the_tiny_difference_counts() -> None:
    front = ParetoFront()
    front.update(_e(5), 1e-32, complexity=5)
    assert front.update(_e(7), 1e-33, complexity=7)
    assert [e.complexity for e in front] == [5, 7]
    assert front.select("accuracy").complexity == 7


def test_floor_makes_scores_finite_and_selection_prefers_simple() -> None:
    front = _front({1: 1.0, 3: 1e-40}, loss_floor=1e-30)
    assert not front.update(_e(5), 0.0, complexity=5)  # 0.0 is no better than 1e-40 below the floor
    assert [e.complexity for e in front] == [1, 3]
    assert front.entries()[1].score == pytest.approx(math.log(1e30) / 2)
    assert front.select("best").complexity == 3


def test_negative_floor_is_rejected() -> None:
    with pytest.raises(ValueError, match="loss_floor"):
        ParetoFront(loss_floor=-1.0)


def test_merge_and_records() -> None:
    a = _front({1: 10.0, 5: 1.0})
    b = _front({3: 2.0, 7: 1.5})
    a.merge(b)
    assert [(e.complexity, e.loss) for e in a] == [(1, 10.0), (3, 2.0), (5, 1.0)]
    rec = a.to_records()[1]
    assert rec == {"complexity": 3, "loss": 2.0, "score": pytest.approx(math.log(5) / 2),
                   "equation": "x + x + x", "size": 5}
    assert a.min_loss == 1.0


# ---------------------------------------------------------------------- "mdl" selection
def _noisy_front(n: int) -> tuple[ParetoFront, list[Expr]]:
    """The law (x*x), the law plus a term that fits 15% of the noise, a poor small formula."""
    law, overfit, small = parse("x * x", OPS), parse("x * x + 0.0137 * sin(41.3 * x)", OPS), parse("x", OPS)
    front = ParetoFront(n_samples=n, loss_power=2.0)
    sigma2 = 1e-4
    front.update(small, 0.05)
    front.update(law, sigma2)
    front.update(overfit, 0.6 * sigma2)  # below 1.5x: "best" keeps it
    return front, [small, law, overfit]


def test_mdl_does_not_keep_a_term_that_fits_noise_where_best_does() -> None:
    front, (_, law, overfit) = _noisy_front(20)
    assert front.select("best").expr == overfit
    assert front.select("mdl").expr == law


def test_mdl_keeps_a_term_that_many_rows_show_is_real() -> None:
    # the same 40% drop in loss on 10,000 rows is thousands of nats: real structure
    front, (_, _, overfit) = _noisy_front(10_000)
    assert front.select("mdl").expr == overfit


def test_mdl_picks_the_smallest_exact_formula_like_best() -> None:
    floor = 1e-24
    front = ParetoFront(loss_floor=floor, n_samples=50, loss_power=2.0)
    for text, loss in (("x", 0.3), ("x * x", 1e-30), ("x * x + 0 * sin(x)", 1e-33)):
        front.update(parse(text, OPS), loss)
    assert str(front.select("mdl").expr) == "x * x" == str(front.select("best").expr)


def test_mdl_charges_a_free_constant_more_than_a_simple_rational() -> None:
    from srkit.core.pareto import description_length

    n = 100
    simple, free = parse("2 * x", OPS), parse("2.0137 * x", OPS)
    assert description_length(free, 1e-3, n) - description_length(simple, 1e-3, n) == pytest.approx(
        0.5 * math.log(n) - math.log(3))


def test_mdl_without_rows_or_likelihood_falls_back_to_best() -> None:
    front = _front({1: 10.0, 2: 1.0, 3: 0.9})
    assert front.select("mdl") == front.select("best")
    with pytest.raises(ValueError, match="n_samples and loss_power"):
        front.description_length(front.entries()[0])


def test_unknown_selection_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="mdl, best, accuracy, score"):
        _front({1: 1.0}).select("smallest")  # type: ignore[arg-type]
