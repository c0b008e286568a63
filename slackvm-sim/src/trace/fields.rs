//! Splitting one trace line into its columns: the header's column names,
//! the tab positions (found eight bytes at a time), the fields as
//! `splitn(11, '\t')` gives them, the column holding a byte (for error
//! messages), and the trimming of ends, newlines and blank lines.

/// The columns of a trace, in header order.
pub(super) const COLUMNS: [&str; 11] = [
    "tmp",
    "rec",
    "res",
    "val",
    "config",
    "subset",
    "vm_uuid",
    "vm_cmn",
    "sb_oc",
    "sb_unused",
    "sb_dsc",
];

/// The line's columns: the first 10 split at tabs, the 11th (`sb_dsc`,
/// free form) the rest of the line, as `splitn(11, '\t')` would; and how
/// many there are.
pub(super) fn split_fields(line: &str) -> ([&str; COLUMNS.len()], usize) {
    let mut tabs = [0usize; COLUMNS.len() - 1];
    let n = find_tabs(line.as_bytes(), &mut tabs);
    let mut fields = [""; COLUMNS.len()];
    let mut start = 0;
    for (field, &tab) in fields.iter_mut().zip(&tabs[..n]) {
        // Tabs are ASCII: slicing at them keeps UTF-8 boundaries.
        *field = &line[start..tab];
        start = tab + 1;
    }
    fields[n] = &line[start..];
    (fields, n + 1)
}

/// Writes the positions of the first tabs (as many as `tabs` holds) and
/// returns how many there are. Eight bytes at a time: a byte is a tab when
/// it is zero after `^ 0x09`, found exactly (no carry between bytes) by
/// `((x & 0x7f..) + 0x7f..) | x` leaving its high bit clear.
fn find_tabs(bytes: &[u8], tabs: &mut [usize]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut n = 0;
    let mut chunks = bytes.chunks_exact(8);
    for (c, chunk) in (&mut chunks).enumerate() {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes")) ^ (ONES * u64::from(b'\t'));
        let mut zeros = !(((x & (ONES * 0x7f)) + ONES * 0x7f) | x) & (ONES * 0x80);
        while zeros != 0 {
            if n == tabs.len() {
                return n;
            }
            tabs[n] = c * 8 + zeros.trailing_zeros() as usize / 8;
            n += 1;
            zeros &= zeros - 1;
        }
    }
    let base = bytes.len() - chunks.remainder().len();
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b'\t' {
            if n == tabs.len() {
                return n;
            }
            tabs[n] = base + i;
            n += 1;
        }
    }
    n
}

/// The column holding byte `offset` of the line.
pub(super) fn column_at(line: &[u8], offset: usize) -> &'static str {
    let tabs = line[..offset].iter().filter(|&&b| b == b'\t').count();
    COLUMNS[tabs.min(COLUMNS.len() - 1)]
}

/// `str::trim`, skipped when the ends are not whitespace (the usual case).
pub(super) fn trim(text: &str) -> &str {
    let b = text.as_bytes();
    let plain = |c: Option<&u8>| c.is_some_and(|&c| c.is_ascii_alphanumeric());
    if plain(b.first()) && plain(b.last()) {
        text
    } else {
        text.trim()
    }
}

/// The line without its trailing `\n` and `\r` characters.
pub(super) fn trim_newline(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&b| b != b'\n' && b != b'\r')
        .map_or(0, |i| i + 1);
    &line[..end]
}

/// True when the line holds only whitespace (`str::trim` is empty).
pub(super) fn is_blank(line: &[u8]) -> bool {
    // ASCII whitespace as `char::is_whitespace` sees it: \t \n \x0B \x0C \r and space.
    match line.iter().find(|&&b| !matches!(b, 9..=13 | b' ')) {
        None => true,
        Some(&b) if b < 0x80 => false,
        // Non-ASCII: Unicode whitespace is possible, let `str` decide.
        Some(_) => std::str::from_utf8(line).is_ok_and(|s| s.trim().is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_are_found_as_splitn_finds_them() {
        let lines = [
            "",
            "\t",
            "a",
            "0\tglobal\tcpu\t-0.0\t232\tNone\tNone\tNone\tNone\tNone\tNone",
            "\t\t\t\t\t\t\t\t\t\t\t\t\t",
            "1234567\t12345678\t123456789\t\u{e9}\u{e9}\u{e9}\u{e9}\t\u{1f600}\tx",
            "75\tsubset\tcpu\t1.8552\t4\tsubset-2.0\tNone\tNone\t2.0\t0\t{\"a\":\t1}\tz",
        ];
        for line in lines {
            let want: Vec<&str> = line.splitn(COLUMNS.len(), '\t').collect();
            let (fields, n) = split_fields(line);
            assert_eq!(&fields[..n], &want[..], "{line:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn split_matches_splitn(parts in proptest::collection::vec("[a-z\t\u{e9}]{0,12}", 0..16)) {
            let line = parts.join("\t");
            let want: Vec<&str> = line.splitn(COLUMNS.len(), '\t').collect();
            let (fields, n) = split_fields(&line);
            proptest::prop_assert_eq!(&fields[..n], &want[..]);
        }
    }

    #[test]
    fn blank_lines() {
        assert!(is_blank(b"\n"));
        assert!(is_blank(b" \t\r\n"));
        assert!(is_blank("\u{a0}\n".as_bytes()));
        assert!(!is_blank(b"0\n"));
        assert!(!is_blank("\u{e9}\n".as_bytes()));
        assert_eq!(trim_newline(b"a\tb\r\n\n"), b"a\tb");
        assert_eq!(trim_newline(b"\n"), b"");
    }
}
