//! One-pass field parsing for the readers' fast paths: a plain line (no
//! quotes, no spaces around fields, ASCII) read field by field as the
//! general CSV path ([`crate::workload::csvrows`],
//! [`crate::workload::csvfields`]) would read it, or `None` where the
//! general path could read it differently or fail (the caller then hands
//! the line to the general path).

/// An integer (digits only, as [`crate::workload::csvfields::parse_uint`]
/// reads it) ending at a comma: the number and the text after the comma.
#[inline]
pub(super) fn uint_field(b: &[u8]) -> Option<(u64, &[u8])> {
    let mut n: u64 = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
        i += 1;
    }
    (i > 0 && b.get(i) == Some(&b',')).then(|| (n, &b[i + 1..]))
}

/// A text field ending at a comma (`last`: at the end of the line) that a
/// CSV reader keeps as it is (ASCII, no quote, no space at either end):
/// the text and what follows the comma.
#[inline]
pub(super) fn text_field(b: &[u8], last: bool) -> Option<(&str, &[u8])> {
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b',' || c == b'"' || c >= 0x80 {
            break;
        }
        i += 1;
    }
    let rest = match b.get(i) {
        None if last => &b[i..],
        Some(b',') if !last => &b[i + 1..],
        _ => return None,
    };
    let f = &b[..i];
    if f.is_empty() {
        return Some(("", rest));
    }
    if f[0] == b' ' || f[i - 1] == b' ' {
        return None;
    }
    Some((std::str::from_utf8(f).ok()?, rest))
}

/// A finite float written as `str::parse` reads it.
#[inline]
pub(super) fn float(f: &[u8]) -> Option<f64> {
    let x: f64 = std::str::from_utf8(f).ok()?.parse().ok()?;
    x.is_finite().then_some(x)
}
