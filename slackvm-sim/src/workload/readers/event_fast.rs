//! The event list CSV reader's fast path: one plain line (no quotes, no
//! spaces around fields, levels and numbers as every writer spells them)
//! parsed in one pass, without splitting it into a field list first.
//!
//! It owns no semantics of its own: a line it cannot read in full, or
//! whose row the reader's checks would refuse, is declined (`None`), and
//! the reader reads that line as a CSV row through the general path
//! ([`super::event_csv`]), which gives the same row or the located error.
//! The test below holds it to that: on any line, the fast path gives
//! nothing or exactly the general path's row.

use super::event_row::{cpu_fraction, RawRow};
use super::plain::{float, text_field, uint_field};
use super::CpuStats;
use crate::level::Level;
use crate::workload::csv::EVENT_CSV_HEADER;
use crate::workload::events::EventKind;

/// The level field and what follows its comma.
#[inline]
fn level_field(b: &[u8]) -> Option<(Level, &[u8])> {
    let fixed = match b.get(..4)? {
        b"1.0," => Some(Level::ONE),
        b"2.0," => Some(Level::TWO),
        b"3.0," => Some(Level::THREE),
        _ => None,
    };
    if let Some(level) = fixed {
        return Some((level, &b[4..]));
    }
    let comma = b.iter().position(|&c| c == b',')?;
    Some((Level::new(float(&b[..comma])?).ok()?, &b[comma + 1..]))
}

/// The optional CPU columns (`a,b,c` to the end of the line): all empty,
/// or three percentages >= 0 (above 100 counts as 100), as fractions.
fn cpu_stats(b: &[u8]) -> Option<Option<CpuStats>> {
    let mut it = b.split(|&c| c == b',');
    let cols = [it.next()?, it.next()?, it.next()?];
    if it.next().is_some() {
        return None;
    }
    if cols.iter().all(|f| f.is_empty()) {
        return Some(None);
    }
    let mut pct = [0.0; 3];
    for (p, f) in pct.iter_mut().zip(cols) {
        *p = cpu_fraction(float(f)?)?;
    }
    Some(Some(CpuStats {
        avg: pct[0],
        p95: pct[1],
        max: pct[2],
    }))
}

/// The row of a plain `line` of a file whose header has `width` columns
/// (7, or 10 with the CPU columns), if the general path would read its
/// fields without error; `None` otherwise. The time order is not checked
/// here (it depends on the rows before).
pub(super) fn parse_plain(line: &[u8], width: usize) -> Option<RawRow<'_>> {
    let (time_s, rest) = uint_field(line)?;
    let (kind, rest) = if let Some(rest) = rest.strip_prefix(b"arrival,") {
        (EventKind::Arrival, rest)
    } else {
        (EventKind::Departure, rest.strip_prefix(b"departure,")?)
    };
    let (id, rest) = text_field(rest, false).filter(|(id, _)| !id.is_empty())?;
    let (vcpus, rest) = uint_field(rest)?;
    let vcpus = u32::try_from(vcpus).ok().filter(|&v| v > 0)?;
    let (mem_mb, rest) = uint_field(rest).filter(|&(m, _)| m > 0)?;
    let (level, rest) = level_field(rest)?;
    let with_cpu = width > EVENT_CSV_HEADER.len();
    let (profile, rest) = text_field(rest, !with_cpu)?;
    let cpu = match (with_cpu, kind) {
        (false, _) => None,
        (true, EventKind::Arrival) => cpu_stats(rest)?,
        (true, EventKind::Departure) => {
            let commas = rest.iter().filter(|&&c| c == b',').count();
            (commas == 2 && !rest.contains(&b'"')).then_some(None)?
        }
    };
    Some(RawRow {
        time_s,
        kind,
        id,
        vcpus,
        mem_mb,
        level,
        profile: Some(profile).filter(|p| !p.is_empty()),
        cpu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::csvrows::CsvRows;
    use proptest::prelude::*;

    /// The general path's row of `line`, or `None` on its error.
    fn general(line: &[u8], width: usize) -> Option<String> {
        let mut rows = CsvRows::new(line, "t");
        let f = rows.next_row().ok()??;
        let mut last = 0;
        let raw = super::super::event_csv::parse_fields(&f, width, &mut last).ok()?;
        Some(format!("{raw:?}"))
    }

    fn fast(line: &[u8], width: usize) -> Option<String> {
        parse_plain(line, width).map(|r| format!("{r:?}"))
    }

    #[test]
    fn plain_rows_are_read_and_the_rest_declined() {
        let row = fast(b"5,arrival,vm-1,2,4096,3.0,web", 7).unwrap();
        assert_eq!(row, general(b"5,arrival,vm-1,2,4096,3.0,web", 7).unwrap());
        assert!(
            row.contains("time_s: 5") && row.contains("\"web\""),
            "{row}"
        );
        let cpu = fast(b"5,arrival,a,2,4096,1.5,,10,20.5,150", 10).unwrap();
        assert!(
            cpu.contains("avg: 0.1") && cpu.contains("max: 1.0"),
            "{cpu}"
        );
        for declined in [
            &b"5,arrival,vm-1,2,4096,3.0"[..], // 6 columns
            b"5,arrival,vm-1,2,4096,3.0,web,x",
            b"5,arrive,vm-1,2,4096,3.0,",
            b"5,arrival,,2,4096,3.0,",
            b"5,arrival, vm-1,2,4096,3.0,", // the general path trims
            b"5,arrival,\"vm-1\",2,4096,3.0,",
            b"5,arrival,vm-1,0,4096,3.0,",
            b"5,arrival,vm-1,2,0,3.0,",
            b"5,arrival,vm-1,2,4096,0.5,",
            b"5,arrival,vm-1,2,4096,NaN,",
            b"",
        ] {
            assert_eq!(
                fast(declined, 7),
                None,
                "{}",
                String::from_utf8_lossy(declined)
            );
        }
        assert_eq!(fast(b"5,arrival,a,2,4096,1.0,,-1,2,3", 10), None);
        assert!(fast(b"5,departure,a,2,4096,1.0,,x,y,z", 10).is_some());
    }

    /// One column's spellings, mostly valid.
    fn column(k: usize) -> BoxedStrategy<String> {
        let spellings: &[&str] = match k {
            0 => &["0", "7", "12", "1.5", "99999999999999999999", ""],
            1 => &["arrival", "departure", "arrive"],
            2 => &["vm-1", "x", "v\"m", " x", "x ", "é", ""],
            3 => &["1", "4", "0", "4294967296", "x"],
            4 => &["1", "4096", "0", "-1"],
            5 => &["1.0", "2.0", "3.0", "1.5", "2", "0.5", "NaN", "1e3", " 1.0"],
            6 => &["", "web", "a b", " web", "é", "\"q\""],
            _ => &["", "10", "0", "150", "-1", "x", "inf"],
        };
        proptest::sample::select(spellings.to_vec())
            .prop_map(str::to_string)
            .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// On any line, the fast path gives nothing or the general path's
        /// row.
        #[test]
        fn never_differs_from_the_general_path(
            fields in (0..11usize).prop_flat_map(|n| (0..n).map(column).collect::<Vec<_>>()),
            width in prop_oneof![Just(7usize), Just(10usize)],
        ) {
            let line = fields.join(",");
            if let Some(row) = fast(line.as_bytes(), width) {
                prop_assert_eq!(Some(row), general(line.as_bytes(), width), "{}", line);
            }
        }
    }
}
