//! The Huawei-East-1 reader's fast path: a plain line in the published
//! column order (`vmid,cpu,memory,time,type`) read in one pass.
//!
//! It owns no semantics: a line it cannot read in full is declined
//! (`None`) and the reader reads it as a CSV row ([`super::huawei`]),
//! which gives the same row or the located error. The tests hold it to
//! that: on any line, the fast path gives nothing or the general path's
//! row.

use super::plain::{float, text_field};
use crate::workload::catalogue::gb_to_mb;
use crate::workload::csvfields::{parse_seconds, parse_uint};

/// A row read by the fast path.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Plain<'a> {
    /// A create row: the VM's shape and creation time.
    Create {
        id: &'a str,
        vcpus: u32,
        mem_mb: u64,
        time_s: u64,
    },
    /// A delete row (its `cpu` and `memory` are not read).
    Delete { id: &'a str, time_s: u64 },
}

/// The field up to the next comma (without a quote) and what follows it.
#[inline]
fn until_comma(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = b.iter().position(|&c| c == b',' || c == b'"')?;
    (b[i] == b',').then(|| (&b[..i], &b[i + 1..]))
}

/// The row of a plain `line` of a file whose header is exactly
/// `vmid,cpu,memory,time,type`, if the general path would read it
/// without error (the VM's earlier rows aside); `None` otherwise.
pub(super) fn parse_plain(line: &[u8]) -> Option<Plain<'_>> {
    let (id, rest) = text_field(line, false).filter(|(id, _)| !id.is_empty())?;
    let (cpu, rest) = until_comma(rest)?;
    let (memory, rest) = until_comma(rest)?;
    let (time, kind) = until_comma(rest)?;
    let time_s = parse_seconds(time)?;
    match kind {
        b"0" => {
            let vcpus = parse_uint(cpu)
                .and_then(|v| u32::try_from(v).ok())
                .filter(|&v| v > 0)?;
            // An integer converts exactly as `str::parse` reads it.
            let gb = parse_uint(memory)
                .map(|n| n as f64)
                .or_else(|| float(memory))
                .filter(|&gb| gb > 0.0)?;
            let mem_mb = gb_to_mb(gb);
            (mem_mb > 0).then_some(Plain::Create {
                id,
                vcpus,
                mem_mb,
                time_s,
            })
        }
        b"1" => Some(Plain::Delete { id, time_s }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_rows_are_read_and_the_rest_declined() {
        assert_eq!(
            parse_plain(b"33403,8,16,55.0,0"),
            Some(Plain::Create {
                id: "33403",
                vcpus: 8,
                mem_mb: 16384,
                time_s: 55
            })
        );
        assert_eq!(
            parse_plain(b"a,1,0.5,2.5,0"),
            Some(Plain::Create {
                id: "a",
                vcpus: 1,
                mem_mb: 512,
                time_s: 3
            })
        );
        assert_eq!(
            parse_plain(b"a,x,y,7,1"),
            Some(Plain::Delete { id: "a", time_s: 7 })
        );
        for declined in [
            &b"a,1,1,0,2"[..],
            b"a,1,1,0,0,extra",
            b"a,1,1,0",
            b",1,1,0,0",
            b" a,1,1,0,0",
            b"a,0,1,0,0",
            b"a,1,0,0,0",
            b"a,1,0.0001,0,0",
            b"a,1,1,x,0",
            b"a,1, 1,0,0",
            b"a,\"1\",1,0,1",
            b"\xc3\xa9,1,1,0,0",
        ] {
            assert_eq!(
                parse_plain(declined),
                None,
                "{}",
                String::from_utf8_lossy(declined)
            );
        }
    }

    /// One column's spellings: valid ones three times in four.
    fn column(k: usize) -> BoxedStrategy<String> {
        let (valid, odd): (&[&'static str], &[&'static str]) = match k {
            0 => (&["vm-1", "33403", "x y"], &[" x", "\"q\"", "é", ""]),
            1 => (&["1", "64", "007"], &["0", "4294967296", "x", " 2"]),
            2 => (&["1", "0.5", "16", "1e3"], &["0", "-1", "NaN", "0.0001"]),
            3 => (&["0", "0.0", "55.5", ".5"], &["x", "1.2.3", "-1"]),
            _ => (&["0", "1"], &["2", " 0", ""]),
        };
        let pick =
            |v: &[&'static str]| proptest::sample::select(v.to_vec()).prop_map(str::to_string);
        prop_oneof![3 => pick(valid), 1 => pick(odd)].boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// On any line, the fast path gives nothing or what the general
        /// path reads (a VM's first row: nothing indexed yet).
        #[test]
        fn never_differs_from_the_general_path(
            fields in prop_oneof![3 => Just(5usize), 1 => 3..7usize]
                .prop_flat_map(|n| (0..n).map(column).collect::<Vec<_>>()),
        ) {
            let line = fields.join(",");
            if let Some(row) = parse_plain(line.as_bytes()) {
                match row {
                    Plain::Create { id, vcpus, mem_mb, time_s } => {
                        let text = format!("vmid,cpu,memory,time,type\n{line}\n");
                        let l = super::super::huawei::parse_huawei(text.as_bytes(), "t")
                            .expect("the general path reads it");
                        prop_assert_eq!(&l.vms[0].id, id);
                        prop_assert_eq!((l.vms[0].vcpus, l.vms[0].mem_mb), (vcpus, mem_mb));
                        prop_assert_eq!(l.events[0].time_s, time_s);
                    }
                    Plain::Delete { id, time_s } => {
                        // After the VM's creation at 0 s.
                        let text = format!("vmid,cpu,memory,time,type\n{id},1,1,0,0\n{line}\n");
                        let l = super::super::huawei::parse_huawei(text.as_bytes(), "t")
                            .expect("the general path reads it");
                        prop_assert_eq!(l.events.last().map(|e| e.time_s), Some(time_s));
                        prop_assert_eq!(l.events.len(), 2);
                    }
                }
            }
        }
    }
}
