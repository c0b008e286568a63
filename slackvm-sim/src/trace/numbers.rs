//! The trace's numbers: whole seconds (`tmp`) and decimals (`val`,
//! `config`, `sb_unused`), parsed exactly as the standard parsers do, with
//! fast paths for the plain forms every trace is made of.

use super::fields::trim;

/// A whole number of seconds (`str::trim` then `u64::from_str`).
pub(super) fn parse_u64(text: &str) -> Option<u64> {
    let t = trim(text);
    let b = t.as_bytes();
    if !b.is_empty() && b.len() <= 19 && b.iter().all(u8::is_ascii_digit) {
        return Some(b.iter().fold(0, |v, &d| v * 10 + u64::from(d - b'0')));
    }
    t.parse().ok()
}

/// `f64::from_str`, with an exact fast path for plain decimals such as
/// `0.4278` and `232`: at most 15 significant digits and no exponent, so
/// the digits `m` and `10^k` are exact and `m / 10^k` is correctly rounded.
pub(super) fn parse_f64(text: &str) -> Option<f64> {
    parse_short_decimal(text).or_else(|| text.parse().ok())
}

fn parse_short_decimal(text: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, body) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        b => (false, b),
    };
    if body.is_empty() || body.len() > 16 {
        return None;
    }
    let mut m: u64 = 0;
    let mut decimals = None;
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => m = m * 10 + u64::from(c - b'0'),
            b'.' if decimals.is_none() && i > 0 => decimals = Some(body.len() - i - 1),
            _ => return None,
        }
    }
    let k = decimals.unwrap_or(0);
    if k == 0 && decimals.is_some() {
        return None; // "1." : let the standard parser decide
    }
    // At most 15 digits (16 bytes with the point): m < 10^15 < 2^53.
    if body.len() - usize::from(decimals.is_some()) > 15 {
        return None;
    }
    let x = m as f64 / POW10[k];
    Some(if negative { -x } else { x })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_as_the_standard_parser_does() {
        for t in [
            "0",
            "-0",
            "-0.0",
            "0.4278",
            "232",
            "1031742",
            "1e-05",
            "1.",
            ".5",
            "+5",
            "inf",
            "-inf",
            "nan",
            "NaN",
            "0.30000000000000004",
            "123456789012345",
            "1234567890123456",
            "9007199254740993",
            "00.5",
            "1.2.3",
            "-",
            "",
            "1e400",
            "0x10",
            "1_0",
        ] {
            let want = t.parse::<f64>().ok();
            let got = parse_f64(t);
            assert_eq!(
                got.map(f64::to_bits),
                want.map(f64::to_bits),
                "`{t}`: {got:?} vs {want:?}"
            );
        }
        for t in [
            "0",
            "15",
            "+15",
            "18446744073709551615",
            "18446744073709551616",
            "-1",
            "1.0",
            "",
        ] {
            assert_eq!(parse_u64(t), t.trim().parse::<u64>().ok(), "`{t}`");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        #[test]
        fn decimals_parse_exactly(int in 0u64..10_000_000_000, frac in 0u64..100_000_000, k in 0usize..9, neg: bool) {
            let sign = if neg { "-" } else { "" };
            let t = format!("{sign}{int}.{:0k$}", frac % 10u64.pow(k as u32));
            let t = if k == 0 { format!("{sign}{int}") } else { t };
            proptest::prop_assert_eq!(parse_f64(&t).map(f64::to_bits), t.parse::<f64>().ok().map(f64::to_bits), "{}", t);
        }
    }
}
