"""Identification: PSLQ route, Moebius table, verification and false-positive rejection."""

import math

import mpmath
import numpy as np
import pytest

from srkit.contfrac import PCF
from srkit.contfrac.constants import CONSTANTS, constant_value, get_constants
from srkit.contfrac.identification import MoebiusTable, Relation, identify, info_digits, simplest_form, verify_pcf


def test_basis_has_at_least_30_constants_and_they_are_right():
    assert len(CONSTANTS) >= 30
    names = {c.name for c in CONSTANTS}
    assert {"pi", "e", "ln2", "ln3", "sqrt2", "sqrt3", "phi", "catalan", "gauss", "lemniscate",
            "euler_gamma", "gompertz"} <= names
    assert {f"zeta{k}" for k in range(2, 8)} <= names
    assert float(constant_value("gauss", 30)) == pytest.approx(0.8346268416740731)
    assert float(constant_value("lemniscate", 30)) == pytest.approx(2.6220575542921198)
    assert float(constant_value("gompertz", 30)) == pytest.approx(0.5963473623231940)
    assert float(constant_value("catalan", 30)) == pytest.approx(0.9159655941772190)


def test_unknown_constant_suggests_a_name():
    with pytest.raises(ValueError, match="did you mean 'zeta3'"):
        get_constants(["zeta_3"])


@pytest.mark.parametrize("expr,const,coefs", [
    (lambda: 4 / mpmath.pi, "pi", (4, 0, 0, 1)),
    (lambda: 1 / (mpmath.e - 1), "e", (1, 0, -1, 1)),
    (lambda: 6 / mpmath.zeta(3), "zeta3", (6, 0, 0, 1)),
    (lambda: (2 + 3 * mpmath.catalan) / (5 - mpmath.catalan), "catalan", (-2, -3, -5, 1)),
    (lambda: 1 + mpmath.sqrt(2), "sqrt2", (1, 1, 1, 0)),
])
def test_identify_known_values(expr, const, coefs):
    with mpmath.workdps(80):
        x = +expr()
    rel = identify(x, digits=80)
    assert rel is not None and rel.constant == const and rel.coefficients == coefs
    assert rel.verified and rel.digits >= 70


def test_identify_from_a_string_and_rational():
    assert str(identify("0.33333333333333333333333333333333")) == "1/3"
    assert identify("0.33333333333333333333333333333333").constant is None
    rel = identify(mpmath.mpf(2) / mpmath.e)  # a float-precision value: only small relations pass
    assert str(rel) == "2/e"


def test_no_relation_for_an_unrelated_number():
    with mpmath.workdps(60):
        x = mpmath.sqrt(7) + mpmath.cbrt(11)
    assert identify(x, digits=60) is None


def test_too_few_digits_is_an_error():
    with pytest.raises(ValueError, match="needs at least"):
        identify("3.14159")


def test_relation_formatting():
    assert str(Relation("e", (1, 0, -1, 1))) == "1/(e - 1)"
    assert str(Relation("zeta3", (8, 0, 0, 7))) == "8/(7*zeta(3))"
    assert str(Relation("pi", (1, 2, 3, -1))) == "(1 + 2*pi)/(3 - pi)"
    assert str(Relation(None, (3, 0, 4, 0))) == "3/4"
    assert info_digits((1, 0, 0, 6)) == pytest.approx(4 * math.log10(13))
    assert simplest_form(get_constants(["sqrt2"])[0], (1, 0, -1, 1)) == (1, 1, 1, 0)  # 1/(sqrt2-1) = 1+sqrt2


def test_moebius_table_matches_and_excludes_rationals():
    t = MoebiusTable(["pi", "zeta3"], max_coef=6)
    assert not np.any(np.isclose(t.values, 0.5, rtol=0, atol=1e-14))  # alpha*delta == beta*gamma left out
    qi, ti = t.match(np.array([4 / math.pi, 6 / 1.2020569031595942, 0.123456789]))
    found = {(int(q), str(t.relation(j))) for q, j in zip(qi, ti)}
    assert (0, "4/pi") in found and (1, "6/zeta(3)") in found
    assert 2 not in {q for q, _ in found}


def test_verify_accepts_true_rejects_false_and_flags_slow():
    ok = verify_pcf(PCF("2*n+1", "n**2"), Relation("pi", (4, 0, 0, 1)))
    assert ok.status == "verified" and ok.digits > 700
    # a float64 coincidence from the full screen: 10 digits of agreement, thousands available
    fp = verify_pcf(PCF([2, 4, -5], [3, -4, 2]), Relation("khinchin", (-3, 5, -5, 3)))
    assert fp.status == "rejected" and "false positive" in fp.details["reason"]
    slow = verify_pcf(PCF(5, "n**2"), Relation("ln2", (2, 0, -1, 2)))
    assert slow.status == "slow" and "slow convergence" in slow.details["reason"]
    rational = verify_pcf(PCF("n+1", "n-3"), Relation("pi", (4, 0, 0, 1)))
    assert rational.status == "rejected"


def test_public_api_names():
    import srkit.contfrac as cf

    assert callable(cf.identify) and cf.identify is identify
    rel = cf.identify(cf.PCF("n", "n").limit(200))
    assert rel.constant == "e" and rel.coefficients == (1, 0, -1, 1) and str(rel) == "1/(e - 1)"


def test_equal_eigenvalue_moduli_are_never_verified():
    # Brouncker-type PCF 6; (2n-1)^2 = 3 + pi: true, but polynomially slow
    rel = verify_pcf(PCF(6, "(2*n-1)**2"), Relation("pi", (3, 1, 1, 0)), depth=500)
    assert rel.status == "slow" and rel.details["eig_class"] == "polynomial"


def test_two_constant_relations_where_the_digits_allow():
    with mpmath.workdps(80):
        x = mpmath.nstr((1 + 2 * mpmath.e * mpmath.catalan) / 5, 70)
        y = mpmath.nstr(mpmath.e / 3 - mpmath.zeta(3) / 2, 70)
    assert identify(x, ["e", "catalan", "pi"]) is None  # no Moebius image of one constant
    r = identify(x, ["e", "catalan", "pi"], pairs=True)
    assert (r.constant, r.constant2, r.coefficients) == ("e", "catalan", (5, 1, 0, 0, 2))
    assert str(r) == "(1 + 2*e*Catalan)/5" and r.verified and r.digits > 60
    r = identify(y, ["e", "zeta3", "ln2"], pairs=True)
    assert r.coefficients == (6, 0, 2, -3, 0) and str(r) == "(2*e - 3*zeta(3))/6"
    # 17 digits hold too little for five coefficients (5.2 digits) plus the 12-digit margin: no claim
    assert identify(x[:18], ["e", "catalan"], pairs=True) is None
    assert identify(x[:22], ["e", "catalan"], pairs=True).coefficients == (5, 1, 0, 0, 2)  # 21 digits do
    # a PCF's limit checked against a two-constant relation at two depths
    pcf_rel = Relation("pi", (4, 0, 0, 1), symbol="pi")
    assert verify_pcf(PCF("2*n+1", "n**2"), pcf_rel).verified
