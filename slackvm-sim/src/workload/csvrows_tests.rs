//! Tests of the CSV row reader ([`super`]).
use super::*;

fn rows(text: &[u8]) -> Vec<Vec<String>> {
    let mut r = CsvRows::new(text, "t");
    let mut out = Vec::new();
    while let Some(f) = r.next_row().unwrap() {
        out.push(
            (0..f.len())
                .map(|i| f.str(i).unwrap().to_string())
                .collect(),
        );
    }
    out
}

#[test]
fn crlf_bom_blank_lines_quotes_and_no_final_newline() {
    let text = b"\xef\xbb\xbfa,b\r\n\r\n 1 , \"x,\"\"y\"\"\" \r\n\"multi\nline\",2";
    assert_eq!(
        rows(text),
        vec![
            vec!["a", "b"],
            vec!["1", "x,\"y\""],
            vec!["multi\nline", "2"]
        ]
    );
    let mut r = CsvRows::new(&b"a\n\nb\n"[..], "t");
    r.next_row().unwrap();
    assert_eq!(r.next_row().unwrap().unwrap().line(), 3);
    let mut r = CsvRows::new(&b"\"open,1\n2\n"[..], "f.csv");
    let e = r.next_row().err().unwrap().to_string();
    assert_eq!(
        e,
        "f.csv: line 1: a quoted field is not closed before the end of the file"
    );
}

#[test]
fn gzip_is_detected() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"a,b\n1,2\n").unwrap();
    let data = gz.finish().unwrap();
    let input = detect(std::io::Cursor::new(data), "g").unwrap();
    let mut r = CsvRows::new(input, "g");
    assert_eq!(r.next_row().unwrap().unwrap().str(1).unwrap(), "b");
    assert_eq!(r.next_row().unwrap().unwrap().uint(0).unwrap(), 1);
    assert!(r.next_row().unwrap().is_none());
}

/// Every row (fields and line) or the first error, as text.
fn all_rows<R: BufRead>(input: R) -> Vec<String> {
    let mut r = CsvRows::new(input, "t");
    let mut out = Vec::new();
    loop {
        match r.next_row() {
            Ok(Some(f)) => out.push(format!(
                "{}:{:?}",
                f.line(),
                (0..f.len())
                    .map(|i| f.bytes(i).to_vec())
                    .collect::<Vec<_>>()
            )),
            Ok(None) => return out,
            Err(e) => {
                out.push(e.to_string());
                return out;
            }
        }
    }
}

#[test]
fn rows_across_buffer_ends_read_as_in_one_buffer() {
    let text =
        b"h1,h2\r\na,b\n\n  \nlonger line,with more\n\"q,\"\"x\"\"\",2\n\"multi\nline\",3\nlast,1";
    let whole = all_rows(&text[..]);
    assert_eq!(whole.len(), 6);
    for cap in 1..24 {
        let small = std::io::BufReader::with_capacity(cap, &text[..]);
        assert_eq!(all_rows(small), whole, "buffer of {cap} bytes");
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Rows split in place or copied are the same rows.
        #[test]
        fn buffer_size_never_changes_the_rows(text in "[ab, \"\r\n]{0,60}", cap in 1usize..16) {
            let whole = all_rows(text.as_bytes());
            let small = std::io::BufReader::with_capacity(cap, text.as_bytes());
            prop_assert_eq!(all_rows(small), whole);
        }
    }
}
