//! Numbers written the way Python's `str()` writes them, so that files
//! written in prototype-compatibility mode match the prototype's byte for
//! byte: integers plainly, floats in shortest round-trip form with at least
//! one decimal, scientific notation below 1e-4 and from 1e16 (`1e-05`).
//!
//! [`write_float`] appends to a byte buffer without allocating. Values
//! with few decimals (the trace's usages, `0.4278`, `1031742.0`) take an
//! exact fast path (`short_decimal`); everything else goes through
//! Rust's shortest round-trip formatting, reshaped the way Python does.

/// `x` rounded to 4 decimals, as the trace generator and the replay write
/// measured usages (`-0.0` becomes `0.0`).
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0 + 0.0
}

/// Python's `str(float)` (of an `f64`, or of anything that is one, such
/// as a [`crate::Level`]).
pub fn float(x: impl Into<f64>) -> String {
    let x: f64 = x.into();
    let mut out = Vec::with_capacity(24);
    write_float(&mut out, x);
    // Only ASCII digits, signs, '.', 'e', "nan" and "inf" are written.
    String::from_utf8(out).expect("ASCII")
}

/// Appends Python's `str(float)` of `x` to `out`.
pub fn write_float(out: &mut Vec<u8>, x: f64) {
    match short_decimal(x) {
        Some((m, k)) => write_fixed(out, x.is_sign_negative(), m, k),
        None => out.extend_from_slice(float_slow(x).as_bytes()),
    }
}

/// Appends the decimal digits of `v`.
pub fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends the decimal digits of `v`, with a `-` when negative.
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

/// Most decimals the fast path tries.
const MAX_DECIMALS: usize = 17;

/// Powers of ten, all exact in `f64`.
const POW10: [f64; MAX_DECIMALS + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17,
];

/// `|x| = m / 10^k` with the fewest decimals `k`, when that decimal is
/// Python's `repr` of `x` written without an exponent; `None` otherwise
/// (zero, NaN, infinities, `|x| < 1e-4`, `|x| >= 2^53`, long expansions).
///
/// Exact, not a heuristic: `m` and `10^k` are exact in `f64`, so
/// `m / 10^k == |x|` holds exactly when the decimal `m·10^-k` rounds to
/// `|x|` (it round-trips). While `ulp(x)·10^k < 1` the rounding interval of
/// `x` (width at most one ulp) holds at most one `k`-decimal number, which
/// the rounded product then finds; so the first `k` that round-trips gives
/// the fewest digits, unique, as Python's shortest repr does.
fn short_decimal(x: f64) -> Option<(u64, usize)> {
    const TWO_53: f64 = 9_007_199_254_740_992.0;
    let a = x.abs();
    if !(1e-4..TWO_53).contains(&a) {
        return None; // also NaN; Python writes these with an exponent or `nan`/`inf`
    }
    let ulp = f64::from_bits(a.to_bits() + 1) - a;
    for (k, &p) in POW10.iter().enumerate() {
        if ulp * p >= 1.0 {
            return None;
        }
        let scaled = a * p;
        if scaled >= TWO_53 {
            return None;
        }
        // Nearest integer by truncation (no libm call). Any `m` that passes
        // the exact check below is the unique answer, so a rounding slip
        // here could only send the value to the slow path.
        let m = (scaled + 0.5) as u64;
        if m as f64 / p == a {
            debug_assert!(m >= 1);
            return Some((m, k));
        }
    }
    None
}

/// Appends `[-]int.frac` for `m / 10^k` (`.0` when `k` is 0).
fn write_fixed(out: &mut Vec<u8>, negative: bool, m: u64, k: usize) {
    if negative {
        out.push(b'-');
    }
    let scale = 10u64.pow(k as u32);
    write_u64(out, m / scale);
    out.push(b'.');
    if k == 0 {
        out.push(b'0');
        return;
    }
    // The fraction, left-padded with zeros to k digits.
    let mut frac = m % scale;
    let mut digits = [b'0'; MAX_DECIMALS];
    for d in digits[..k].iter_mut().rev() {
        *d = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    debug_assert_eq!(frac, 0);
    out.extend_from_slice(&digits[..k]);
}

/// Python's `str(float)` through Rust's `{:e}` (shortest round-trip digits).
fn float_slow(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde-5".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x < 0.0 { "-" } else { "" };
    // Python: decpt = exp + 1; scientific when decpt <= -4 or decpt > 16.
    let decpt = exp + 1;
    let body = if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{first}{frac}e{esign}{:02}", exp.abs())
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt as usize >= digits.len() {
        format!("{digits}{}.0", "0".repeat(decpt as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::{float, float_slow, short_decimal, write_i64};
    use proptest::prelude::*;

    #[test]
    fn matches_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (2.0, "2.0"),
            (0.4278, "0.4278"),
            (1e-05, "1e-05"),
            (1.5e-05, "1.5e-05"),
            (0.0001, "0.0001"),
            (11.5403, "11.5403"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789.125, "123456789.125"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-2.5, "-2.5"),
            (0.0, "0.0"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (100.0, "100.0"),
            // Added with the fast path (values checked with CPython 3.11).
            (-0.0, "-0.0"),
            (0.003, "0.003"),
            (0.00012, "0.00012"),
            (9.9999e-05, "9.9999e-05"),
            (1031742.0, "1031742.0"),
            (0.1, "0.1"),
            (2.675, "2.675"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.0 / 3.0, "0.6666666666666666"),
            (9007199254740991.0, "9007199254740991.0"),
            (9007199254740992.0, "9007199254740992.0"),
            (123.456e10, "1234560000000.0"),
            (4.35, "4.35"),
            (0.07, "0.07"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(float(x), want, "{x:?}");
            assert_eq!(float_slow(x), want, "slow path, {x:?}");
        }
    }

    #[test]
    fn fast_path_takes_the_trace_values() {
        assert_eq!(short_decimal(0.4278), Some((4278, 4)));
        assert_eq!(short_decimal(1031742.0), Some((1031742, 0)));
        assert_eq!(short_decimal(-2.5), Some((25, 1)));
        assert_eq!(short_decimal(0.1 + 0.2), None);
        assert_eq!(short_decimal(1e-5), None);
        assert_eq!(short_decimal(0.0), None);
    }

    #[test]
    fn integers() {
        for v in [0, 7, -7, 10, 1031742, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            write_i64(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
    }

    /// Decimals with up to `digits` digits and `k` decimals, as a trace has them.
    fn decimal() -> impl Strategy<Value = f64> {
        (0u64..10_000_000_000_000_000, 0usize..20, any::<bool>()).prop_map(|(m, k, neg)| {
            let x = format!("{m}e-{k}").parse::<f64>().expect("decimal");
            if neg {
                -x
            } else {
                x
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn fast_path_equals_slow_path_on_any_bits(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(float(x), float_slow(x));
        }

        #[test]
        fn fast_path_equals_slow_path_on_decimals(x in decimal()) {
            prop_assert_eq!(float(x), float_slow(x));
        }

        #[test]
        fn fast_path_equals_slow_path_on_arithmetic(a in decimal(), b in decimal(), c in 1u32..1000) {
            for x in [a + b, a - b, a * b, a / f64::from(c), a * f64::from(c)] {
                prop_assert_eq!(float(x), float_slow(x));
            }
        }

        #[test]
        fn fast_path_equals_slow_path_on_neighbours(x in decimal(), d in -3i64..=3) {
            let y = f64::from_bits((x.to_bits() as i64).wrapping_add(d) as u64);
            prop_assert_eq!(float(y), float_slow(y));
        }
    }
}
