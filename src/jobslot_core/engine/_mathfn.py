"""Bit-reproducible exp, log, erfc, the normal CDF and its inverse, in pure Python.

Platform libm functions (``math.exp``, ``math.log``, ``math.erfc``) may differ in the last bit
between systems, and an offer must be the same everywhere. These functions use only ``+ - * /``,
``math.sqrt`` (correctly rounded by IEEE 754), ``math.frexp`` / ``math.ldexp`` (exact) and exact
constants, so every IEEE 754 double platform computes the same bits.

Sources: ``exp``, ``log`` and ``erfc`` follow Sun's fdlibm (e_exp.c, e_log.c, s_erf.c; error
below 1 ulp); ``ndtri`` is Wichura's algorithm AS241 (PPND16, relative error about 1e-16).
"""

from __future__ import annotations

import math
import struct

__all__ = ["TAIL_START", "erfc", "exp", "log", "ndtr", "ndtri", "tail_quantile"]

_frexp = math.frexp
_ldexp = math.ldexp
_sqrt = math.sqrt

# -- exp (fdlibm e_exp.c) -----------------------------------------------------------------------

_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08
_HALF_LN2 = 0.5 * 6.93147180559945286227e-01
_EXP_OVERFLOW = 7.09782712893383973096e02
_EXP_UNDERFLOW = -7.45133219101941108420e02


def exp(x: float) -> float:
    """e**x, reproducible on every IEEE 754 platform (fdlibm's algorithm)."""
    if x != x:
        return x
    if x > _EXP_OVERFLOW:
        return math.inf
    if x < _EXP_UNDERFLOW:
        return 0.0
    if -_HALF_LN2 < x < _HALF_LN2:
        if -3.7252902984e-09 < x < 3.7252902984e-09:  # |x| < 2**-28
            return 1.0 + x
        t = x * x
        c = x - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
        return 1.0 - ((x * c) / (c - 2.0) - x)
    k = int(_INV_LN2 * x + (0.5 if x > 0 else -0.5))
    hi = x - k * _LN2_HI
    lo = k * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    return _ldexp(y, k)


# -- log (fdlibm e_log.c) -----------------------------------------------------------------------

_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT_HALF = 0.70710678118654757


def log(x: float) -> float:
    """Natural logarithm, reproducible on every IEEE 754 platform (fdlibm's algorithm).

    Raises:
        ValueError: for x <= 0 (like ``math.log``).
    """
    if not x > 0.0:
        if x != x:
            return x
        raise ValueError("math domain error")
    if x == math.inf:
        return x
    m, k = _frexp(x)  # x = m * 2**k, m in [0.5, 1)
    if m < _SQRT_HALF:
        m *= 2.0
        k -= 1
    f = m - 1.0  # exact (Sterbenz): m in [sqrt(1/2), sqrt(2))
    if f == 0.0:
        return k * _LN2_HI + k * _LN2_LO
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    hfsq = 0.5 * f * f
    if k == 0:
        return f - (hfsq - s * (hfsq + r))
    return k * _LN2_HI - ((hfsq - (s * (hfsq + r) + k * _LN2_LO)) - f)


# -- erfc (fdlibm s_erf.c) ----------------------------------------------------------------------

_ERX = 8.45062911510467529297e-01
_PP = (
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
)
_QQ = (
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
)
_PA = (
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
)
_QA = (
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
)
_RA = (
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e01,
    -6.23753324503260060396e01,
    -1.62396669462573470355e02,
    -1.84605092906711035994e02,
    -8.12874355063065934246e01,
    -9.81432934416914548592e00,
)
_SA = (
    1.96512716674392571292e01,
    1.37657754143519042600e02,
    4.34565877475229228821e02,
    6.45387271733267880336e02,
    4.29008140027567833386e02,
    1.08635005541779435134e02,
    6.57024977031928170135e00,
    -6.04244152148580987438e-02,
)
_RB = (
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e01,
    -1.60636384855821916062e02,
    -6.37566443368389627722e02,
    -1.02509513161107724954e03,
    -4.83519191608651397019e02,
)
_SB = (
    3.03380607434824582924e01,
    3.25792512996573918826e02,
    1.53672958608443695994e03,
    3.19985821950859553908e03,
    2.55305040643316442583e03,
    4.74528541206955367215e02,
    -2.24409524465858183362e01,
)


def _poly(c: tuple[float, ...], x: float) -> float:
    """c[0] + c[1]*x + ... by Horner's rule (a fixed evaluation order)."""
    acc = c[-1]
    for coef in c[-2::-1]:
        acc = coef + x * acc
    return acc


def _trunc32(x: float) -> float:
    """x with the low 32 bits of its IEEE 754 representation cleared (fdlibm's SET_LOW_WORD)."""
    bits = struct.unpack("<Q", struct.pack("<d", x))[0] & 0xFFFFFFFF00000000
    result: float = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return result


def erfc(x: float) -> float:
    """The complementary error function 1 - erf(x), reproducible (fdlibm's algorithm)."""
    if x != x:
        return x
    ax = abs(x)
    if ax < 0.84375:
        if ax < 1.3877787807814457e-17:  # 2**-56
            return 1.0 - x
        z = x * x
        r = _poly(_PP, z)
        s = 1.0 + z * _poly(_QQ, z)
        y = r / s
        if x < 0.25:
            return 1.0 - (x + x * y)
        r = x * y
        r += x - 0.5
        return 0.5 - r
    if ax < 1.25:
        s = ax - 1.0
        p = _poly(_PA, s)
        q = 1.0 + s * _poly(_QA, s)
        if x >= 0:
            return 1.0 - _ERX - p / q
        return 1.0 + (_ERX + p / q)
    if ax < 28.0:
        s = 1.0 / (ax * ax)
        if ax < 1.0 / 0.35:
            rr = _poly(_RA, s)
            ss = 1.0 + s * _poly(_SA, s)
        else:
            if x < -6.0:
                return 2.0
            rr = _poly(_RB, s)
            ss = 1.0 + s * _poly(_SB, s)
        z = _trunc32(ax)
        r = exp(-z * z - 0.5625) * exp((z - ax) * (z + ax) + rr / ss)
        return r / ax if x > 0 else 2.0 - r / ax
    return 0.0 if x > 0 else 2.0


_SQRT_HALF_EXACT = 0.7071067811865476  # 1/sqrt(2) rounded to nearest


def ndtr(x: float) -> float:
    """The standard normal CDF Φ(x) = erfc(-x/√2)/2; accurate in both tails."""
    return 0.5 * erfc(-x * _SQRT_HALF_EXACT)


# -- ndtri (Wichura's AS241, PPND16) -----------------------------------------------------------

_A = (
    3.387132872796366608e00,
    1.3314166789178437745e02,
    1.9715909503065514427e03,
    1.3731693765509461125e04,
    4.5921953931549871457e04,
    6.7265770927008700853e04,
    3.3430575583588128105e04,
    2.5090809287301226727e03,
)
_B = (
    1.0,
    4.2313330701600911252e01,
    6.8718700749205790830e02,
    5.3941960214247511077e03,
    2.1213794301586595867e04,
    3.9307895800092710610e04,
    2.8729085735721942674e04,
    5.2264952788528545610e03,
)
_C = (
    1.42343711074968357734e00,
    4.63033784615654529590e00,
    5.76949722146069140550e00,
    3.64784832476320460504e00,
    1.27045825245236838258e00,
    2.41780725177450611770e-01,
    2.27238449892691845833e-02,
    7.74545014278341407640e-04,
)
_D = (
    1.0,
    2.05319162663775882187e00,
    1.67638483018380384940e00,
    6.89767334985100004550e-01,
    1.48103976427480074590e-01,
    1.51986665636164571966e-02,
    5.47593808499534494600e-04,
    1.05075007164441684324e-09,
)
_E = (
    6.65790464350110377720e00,
    5.46378491116411436990e00,
    1.78482653991729133580e00,
    2.96560571828504891230e-01,
    2.65321895265761230930e-02,
    1.24266094738807843860e-03,
    2.71155556874348757815e-05,
    2.01033439929228813265e-07,
)
_F = (
    1.0,
    5.99832206555887937690e-01,
    1.36929880922735805310e-01,
    1.48753612908506148525e-02,
    7.86869131145613259100e-04,
    1.84631831751005468180e-05,
    1.42151175831644588870e-07,
    2.04426310338993978564e-15,
)


def ndtri(p: float) -> float:
    """The inverse standard normal CDF Φ⁻¹(p) for p in (0, 1) (Wichura's AS241).

    Raises:
        ValueError: for p outside (0, 1).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"ndtri needs p in (0, 1), got {p!r}")
    q = p - 0.5
    if -0.425 <= q <= 0.425:
        r = 0.180625 - q * q
        a = _A
        b = _B
        num = (((((((a[7] * r + a[6]) * r + a[5]) * r + a[4]) * r + a[3]) * r + a[2]) * r
                + a[1]) * r + a[0]) * q
        den = ((((((b[7] * r + b[6]) * r + b[5]) * r + b[4]) * r + b[3]) * r + b[2]) * r
               + b[1]) * r + 1.0
        return num / den
    r = p if q < 0.0 else 1.0 - p
    r = _sqrt(-log(r))
    if r <= 5.0:
        r -= 1.6
        c = _C
        d = _D
        num = ((((((c[7] * r + c[6]) * r + c[5]) * r + c[4]) * r + c[3]) * r + c[2]) * r
               + c[1]) * r + c[0]
        den = ((((((d[7] * r + d[6]) * r + d[5]) * r + d[4]) * r + d[3]) * r + d[2]) * r
               + d[1]) * r + 1.0
    else:
        r -= 5.0
        e = _E
        f = _F
        num = ((((((e[7] * r + e[6]) * r + e[5]) * r + e[4]) * r + e[3]) * r + e[2]) * r
               + e[1]) * r + e[0]
        den = ((((((f[7] * r + f[6]) * r + f[5]) * r + f[4]) * r + f[3]) * r + f[2]) * r
               + f[1]) * r + 1.0
    x = num / den
    return -x if q < 0.0 else x


# -- far normal tails (engine version 2) --------------------------------------------------------

TAIL_START = 37.0
"""Standardized distance from the mean at which a one-sided interval uses `tail_quantile`:
beyond it Φ nears the subnormal range, where Φ(b) - Φ(a) loses its bits or becomes 0."""

_TWO_OVER_SQRT_PI = 1.1283791670955126
_SQRT2 = 1.4142135623730951
_TAIL_STEPS = 8


def _tail_rs(x: float) -> float:
    """fdlibm's R/S for erfc at x >= 1/0.35: erfc(x) = exp(-x*x - 0.5625 + R/S) / x."""
    s = 1.0 / (x * x)
    return _poly(_RB, s) / (1.0 + s * _poly(_SB, s))


def tail_quantile(w0: float, w1: float, v: float) -> float:
    """The offset w - w0 of the distance w in [w0, w1] (in standard deviations from the mean,
    w0 >= `TAIL_START`) with P(w0 <= W <= w | w0 <= W <= w1) = v for a standard normal W.

    Works on x = w/sqrt(2) and log(erfc(x) / erfc(x0)) from fdlibm's asymptotic form of erfc,
    so the ratio never underflows; 8 Newton steps from x0 (monotone after the first step).
    """
    x0 = w0 * _SQRT_HALF_EXACT
    x1 = w1 * _SQRT_HALF_EXACT
    rs0 = _tail_rs(x0)
    r1 = exp(-(x1 - x0) * (x1 + x0) + (_tail_rs(x1) - rs0) - log(x1 / x0))
    c = log(1.0 - v * (1.0 - r1))  # the target log ratio, <= 0; 1 - v*(1 - r1) >= 2**-53
    x = x0
    for _ in range(_TAIL_STEPS):
        rs = _tail_rs(x)
        g = -(x - x0) * (x + x0) + (rs - rs0) - log(x / x0) - c
        x = x + g / (_TWO_OVER_SQRT_PI * x * exp(0.5625 - rs))
    x = x0 if x < x0 else x1 if x > x1 else x
    return (x - x0) * _SQRT2
