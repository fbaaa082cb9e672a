"""PCF: parsing, exact convergents, the brief's verified-formula table, equivalent forms."""

import math

import mpmath
import pytest
import sympy

from srkit.contfrac import PCF
from srkit.contfrac.exact import log_abs, poly_values, segment_product, walk

# (a, b, exact limit at the current precision, digits @1000, delta @1000, slow)
TABLE = [
    ("1", "1", lambda: (1 + mpmath.sqrt(5)) / 2, 418, 1.002, False),
    ("2", "1", lambda: 1 + mpmath.sqrt(2), 766, 1.001, False),
    ("2", "2", lambda: 1 + mpmath.sqrt(3), 572, 1.001, False),
    ("n", "n", lambda: 1 / (mpmath.e - 1), 2573, 0.003, False),
    ("n+1", "n", lambda: 1 / (mpmath.e - 2), 2579, 0.003, False),
    ("n+4", "-n", lambda: mpmath.e / (mpmath.e - 2), 2585, 0.004, False),
    ("4*n+2", "1", lambda: (mpmath.e + 1) / (mpmath.e - 1), 6346, 1.001, False),
    ("2*n+1", "1", lambda: mpmath.coth(1), 5744, 1.001, False),
    ("2*n+1", "-1", lambda: mpmath.cot(1), 5744, 1.001, False),
    ("n", "1", lambda: mpmath.besseli(1, 2) / mpmath.besseli(0, 2), 5139, 1.001, False),
    ("2*n+1", "n**2", lambda: 4 / mpmath.pi, 766, -0.202, False),
    ("2", "(2*n-1)**2", lambda: 1 + 4 / mpmath.pi, 3.7, -0.996, True),
    ("6", "(2*n-1)**2", lambda: 3 + mpmath.pi, 10.4, -0.989, True),
    ("6*n+3", "-n**2", lambda: 2 / mpmath.log(2), 1532, 0.282, False),
    ("3*n+2", "-2*n**2", lambda: 1 / mpmath.log(2), 304, -0.584, False),
    ("5", "n**2", lambda: 2 / (2 * mpmath.log(2) - 1), 15.2, -0.967, True),
    ("34*n**3+51*n**2+27*n+5", "-n**6", lambda: 6 / mpmath.zeta(3), 3065, 0.086, False),
    ("(2*n+1)*(3*n**2+3*n+1)", "-n**6", lambda: 8 / (7 * mpmath.zeta(3)), 1532, -0.421, False),
    ("11*n**2+11*n+3", "n**4", lambda: 5 / mpmath.zeta(2), 2092, 0.100, False),
    ("2*n+2", "-n**2", lambda: -1 / (mpmath.e * mpmath.ei(-1)), 53.5, -0.980, True),
]


@pytest.mark.parametrize("a,b,exact,digits,delta,slow", TABLE, ids=[f"{r[0]};{r[1]}" for r in TABLE])
def test_verified_formula_table(a, b, exact, digits, delta, slow):
    pcf = PCF(a, b)
    assert pcf.digits(1000) == pytest.approx(digits, abs=1)
    assert pcf.delta(1000) == pytest.approx(delta, abs=1e-3)
    # the limit agrees with the closed form on the digits it holds (checked on up to 600 of them)
    value = pcf.limit(1000)
    with mpmath.workdps(int(min(digits, 600)) + 20):
        true_digits = -float(mpmath.log10(abs(exact() - value)))
    assert true_digits >= min(digits, 600) - 1
    assert (pcf.digits(2000) < 1.5 * pcf.digits(1000)) == slow


def test_every_formula_also_holds_with_a_negated():
    pcf = PCF("2*n+1", "n**2")
    with mpmath.workdps(200):
        assert pcf.negate().limit(300) + pcf.limit(300) == 0


def test_input_forms_agree():
    n = sympy.Symbol("n")
    forms = [PCF("4*n + 3", "n**2 - 1"), PCF([3, 4], [-1, 0, 1]), PCF(4 * n + 3, n**2 - 1), PCF((3, 4, 0), "(n-1)*(n+1)")]
    assert all(f == forms[0] for f in forms)
    assert forms[0].a == (3, 4) and forms[0].b == (-1, 0, 1) and forms[0].degrees == (1, 2)
    assert repr(forms[0]) == "PCF('4*n + 3', 'n**2 - 1')"


@pytest.mark.parametrize("a,b,msg", [
    ("n/2", "1", "not an integer"), ("x+1", "1", "unknown name .x.. Variables are n"), ("sin(n)", "1", "not a polynomial"),
    ("1", "0", r"b\(n\) is identically zero"), ([0, 0], "n", r"a\(n\) is identically zero"), ("1+", "1", "cannot read"),
])
def test_bad_input_is_explained(a, b, msg):
    with pytest.raises(ValueError, match=msg):
        PCF(a, b)


def test_exact_convergents_match_the_recurrence():
    a, b = [1, -2, 3], [2, 0, -1]
    p = [1, poly_values(a, 0, 1)[0]]
    q = [0, 1]
    for k in range(1, 40):
        ak, bk = poly_values(a, k, k + 1)[0], poly_values(b, k, k + 1)[0]
        p.append(ak * p[-1] + bk * p[-2])
        q.append(ak * q[-1] + bk * q[-2])
    w = walk(a, b, [1, 17, 39])
    for n in (1, 17, 39):
        assert tuple(int(v) for v in w[n]) == (p[n], p[n + 1], q[n], q[n + 1])
    assert segment_product(a, b, 5, 5) == (1, 0, 0, 1)
    assert PCF(a, b).convergent(39) == (p[40], q[40])


def test_log_abs_of_huge_integers():
    z = 3**100000
    assert log_abs(z) == pytest.approx(100000 * math.log(3), rel=1e-14)
    assert log_abs(-z) == log_abs(z) and log_abs(0) == -math.inf


def test_limit_holds_its_digits_and_not_many_more():
    v = PCF(1, 1).limit(200)
    with mpmath.workdps(200):
        err = abs(v - (1 + mpmath.sqrt(5)) / 2)
        assert -mpmath.log10(err) > 80
    assert mpmath.mp.dps == 15  # no global precision change


def test_delta_with_a_given_limit_matches_the_estimate():
    pcf = PCF("2*n+1", "n**2")
    with mpmath.workdps(1000):
        L = 4 / mpmath.pi
    assert pcf.delta(500, L) == pytest.approx(pcf.delta(500), abs=1e-9)


def test_bad_depth():
    with pytest.raises(ValueError, match="positive integer"):
        PCF(1, 1).limit(0)


def test_canonical_form_identifies_duplicates():
    base = PCF("2*n+1", "n**2")
    variants = [base.negate(), base.shift(3), base.shift(-2).negate(), base.inflate("n+1"), base.inflate(3).shift(1)]
    assert {v.canonical() for v in variants} == {base.canonical()}
    assert base.canonical() == PCF("2*n+1", "n**2")
    assert PCF("2*n+1", "n**2").canonical() != PCF("2*n+1", "2*n**2").canonical()


def test_inflate_deflate_round_trip_keeps_the_value():
    base = PCF("3*n+2", "-2*n**2")
    inflated = base.inflate("2*n+1")
    assert inflated.deflate("2*n+1") == base
    assert inflated.deflate_all() == base
    # inflation multiplies a(0) by c(0) = 1 here, so the limit is unchanged
    assert float(inflated.limit(300)) == pytest.approx(float(base.limit(300)), rel=1e-15)
    with pytest.raises(ValueError, match="does not deflate"):
        base.deflate("n+5")


def test_shift_is_the_tail():
    base = PCF("2*n+1", "n**2")
    tail = base.shift(1)  # L = a0 + b1 / L_tail
    assert float(base.limit(400)) == pytest.approx(1 + 1 / float(tail.limit(400)), rel=1e-14)


def test_terminating_fraction_is_rational():
    pcf = PCF("n+1", "n - 3")  # b(3) = 0
    assert pcf.terminates() == 3
    assert pcf.digits(50) == math.inf and pcf.delta(50) == math.inf
    p, q = pcf.convergent(2)
    assert float(pcf.limit(50)) == pytest.approx(p / q)


def test_eigenvalue_classes():
    assert PCF("2*n+1", "n**2").eigenvalue_class() == "exponential"
    assert PCF(2, "(2*n-1)**2").eigenvalue_class() == "polynomial"
    assert PCF(1, "-n**2").eigenvalue_class() == "complex"


def test_value_to_any_number_of_digits():
    v = PCF("n", "n").value(500)
    with mpmath.workdps(520):
        assert abs(v - 1 / (mpmath.e - 1)) < mpmath.mpf(10) ** -499
    with pytest.raises(ValueError, match="converges too slowly"):
        PCF(2, "(2*n-1)**2").value(40, max_depth=4096)


def test_ratio_float_of_huge_integers():
    from srkit.contfrac.exact import ratio_float

    assert ratio_float(10**600 + 7, 4 * 10**600) == pytest.approx(0.25, rel=1e-15)
    assert ratio_float(3, 10**500) == 0.0 and ratio_float(-(10**500), 7) == -math.inf
    assert math.isnan(ratio_float(1, 0))


def test_polynomial_strings_go_through_srkits_parser_never_eval() -> None:
    from srkit.contfrac import PCF

    assert PCF("(n+1)*(2*n-3)", "-n^6").a == (-3, -1, 2)
    for bad in ("__import__('os').system('true')", "m + 1", "sin(n)"):
        with pytest.raises(ValueError, match="a\\(n\\)"):
            PCF(bad, "n")
