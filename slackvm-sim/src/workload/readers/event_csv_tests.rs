//! Tests of the event list CSV reader ([`super`]).

use super::*;
use crate::workload::catalogue::Catalogue;
use crate::workload::csv::write_event_csv;
use crate::workload::generator::{generate, GeneratorConfig};

fn vm(id: &str, vcpus: u32, mem_mb: u64, level: f64, profile: Option<&str>) -> VmSpec {
    let level = Level::new(level).unwrap();
    VmSpec {
        id: id.into(),
        vcpus,
        mem_mb,
        level,
        profile: profile.map(str::to_string),
    }
}

fn to_string(list: &EventList) -> String {
    let mut buf = Vec::new();
    write_event_csv(list, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn writes_the_documented_example() {
    let list = EventList::from_spans(
        vec![
            vm("vm-0", 2, 4096, 1.0, Some("low")),
            vm("vm-1", 4, 8192, 3.0, None),
        ],
        &[(0, Some(720)), (0, None)],
    );
    let text = to_string(&list);
    assert_eq!(
        text,
        "time_s,event,vm_id,vcpus,mem_mb,level,profile\n\
         0,arrival,vm-0,2,4096,1.0,low\n\
         0,arrival,vm-1,4,8192,3.0,\n\
         720,departure,vm-0,2,4096,1.0,low\n"
    );
    assert_eq!(read_event_list(text.as_bytes(), "x").unwrap(), list);
}

#[test]
fn round_trip_of_generated_list_and_determinism() {
    let cfg = GeneratorConfig::builder(Catalogue::ovhcloud2023())
        .initial_vms(200)
        .level_shares_pct([50, 25, 25])
        .seed(11)
        .build()
        .unwrap();
    let a = to_string(&generate(&cfg));
    let b = to_string(&generate(&cfg.clone()));
    assert_eq!(a, b, "same seed, same bytes");
    let back = read_event_list(a.as_bytes(), "gen").unwrap();
    assert_eq!(back, generate(&cfg));
    assert_eq!(to_string(&back), a);
}

#[test]
fn quoting_round_trips() {
    let list = EventList::from_spans(vec![vm("a,\"b\"", 1, 1, 2.5, Some("x y"))], &[(5, None)]);
    let text = to_string(&list);
    assert!(text.contains("\"a,\"\"b\"\"\""));
    assert_eq!(read_event_list(text.as_bytes(), "q").unwrap(), list);
}

fn err_of(body: &str) -> String {
    let text = format!("time_s,event,vm_id,vcpus,mem_mb,level,profile\n{body}");
    read_event_list(text.as_bytes(), "w.csv")
        .unwrap_err()
        .to_string()
}

#[test]
fn optional_cpu_columns_are_read_on_arrivals() {
    let h = "time_s,event,vm_id,vcpus,mem_mb,level,profile,cpu_avg_pct,cpu_p95_pct,cpu_max_pct\n";
    let text = format!(
        "{h}0,arrival,a,1,1,1.0,,10,50,120\n0,arrival,b,1,1,1.0,,,,\n5,departure,a,1,1,1.0,,,,\n"
    );
    let (list, cpu, _) = read_list(text.as_bytes(), "c", ListOptions::new(false, None)).unwrap();
    assert_eq!(list.vms.len(), 2);
    let cpu = cpu.unwrap();
    assert_eq!(
        cpu[0],
        Some(CpuStats {
            avg: 0.1,
            p95: 0.5,
            max: 1.0
        })
    );
    assert_eq!(cpu[1], None);
    let e = read_event_list(
        format!("{h}0,arrival,a,1,1,1.0,,10,x,20\n").as_bytes(),
        "c.csv",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "c.csv: line 2, column 9 (`cpu_p95_pct`): `x` is not a number"
    );
    let e = read_event_list(format!("{h}0,arrival,a,1,1,1.0,\n").as_bytes(), "c.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected 10 columns, found 7"), "{e}");
    // Without the columns, no CPU data.
    let plain = "time_s,event,vm_id,vcpus,mem_mb,level,profile\n0,arrival,a,1,1,1.0,\n";
    assert_eq!(
        read_list(plain.as_bytes(), "p", ListOptions::new(false, None))
            .unwrap()
            .1,
        None
    );
}

#[test]
fn errors_carry_line_and_column() {
    assert_eq!(
        err_of("0,arrival,a,1,1,1.0,\n5,arrival,b,x,1,1.0,\n"),
        "w.csv: line 3, column 4 (`vcpus`): `x` is not an integer >= 0"
    );
    assert!(err_of("0,leave,a,1,1,1.0,\n").contains("line 2, column 2 (`event`)"));
    assert!(err_of("0,arrival,a,1,1,0.5,\n").contains("column 6 (`level`)"));
    assert!(err_of("0,arrival,a,1,0,1.0,\n").contains("column 5 (`mem_mb`)"));
    assert!(err_of("9,arrival,a,1,1,1.0,\n3,arrival,b,1,1,1.0,\n")
        .contains("line 3, column 1 (`time_s`)"));
    assert!(err_of("0,departure,a,1,1,1.0,\n").contains("departs before arriving"));
    assert!(err_of("0,arrival,a,1,1,1.0,\n0,arrival,a,1,1,1.0,\n").contains("arrives twice"));
    assert!(err_of("0,arrival,a,1,1,1.0,\n1,departure,a,2,1,1.0,\n").contains("differ"));
    assert!(err_of("0,arrival,a,1,1,1.0\n").contains("line 2"));
    let bad = "time,event\n";
    let e = read_event_list(bad.as_bytes(), "h").unwrap_err();
    assert!(matches!(e, EventCsvError::Header { .. }));
}

#[test]
fn streaming_reader_stops_after_an_error() {
    let text = "time_s,event,vm_id,vcpus,mem_mb,level,profile\n0,arrival,a,1,1,1.0,\n0,bad,a,1,1,1.0,\n0,arrival,c,1,1,1.0,\n";
    let rows: Vec<_> = EventCsvReader::new(text.as_bytes(), "s").unwrap().collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].is_ok() && rows[1].is_err());
}

/// The list, CPU columns and report (or the error) of `text` read through
/// a buffer of `cap` bytes, with or without the fast path, as text.
fn outcome(text: &str, cap: usize, lenient: bool, fast_path: bool) -> String {
    let input = std::io::BufReader::with_capacity(cap, text.as_bytes());
    let opts = ListOptions {
        skip_bad_rows: lenient,
        size_hint_bytes: None,
        fast_path,
    };
    format!("{:?}", read_list(input, "mix.csv", opts))
}

/// Plain rows, rows the fast path declines (quotes, spaces, other level
/// spellings, CRLF, blank lines) and bad rows of every kind, mixed.
const MIXED: [&str; 12] = [
    "{t},arrival,vm-{i},2,4096,3.0,\n",
    "{t},arrival,\"q-{i}\",1,1024,1.0,web\n",
    "{t},arrival, s-{i} ,1,1024,2,\r\n",
    "\n",
    "{t},arrival,vm-{i},1,1,1.0,\n",
    "{t},departure,vm-{j},2,4096,3.0,\n",
    "{t},departure,vm-{j},2,4096,3.0,\n",
    "{t},departure,nobody,2,4096,3.0,\n",
    "{t},arrival,x-{i},0,4096,3.0,\n",
    "{t},arrival,x-{i},1,4096,3.0,p,extra\n",
    "0,arrival,late-{i},1,4096,3.0,\n",
    "{t},arrival,u-{i},1,4096,1.5,é\n",
];

/// A file of `picks` rows of [`MIXED`] (row `i` at time `i`, departures
/// of the VM `vm-{j}` that arrived three rows before).
fn mixed_file(picks: &[usize]) -> String {
    let mut text = String::from("time_s,event,vm_id,vcpus,mem_mb,level,profile\n");
    for (i, &k) in picks.iter().enumerate() {
        let j = i.saturating_sub(3);
        let row = MIXED[k % MIXED.len()]
            .replace("{t}", &(i + 10).to_string())
            .replace("{i}", &i.to_string())
            .replace("{j}", &j.to_string());
        text.push_str(&row);
    }
    text
}

#[test]
fn the_fast_path_changes_nothing_on_a_long_mixed_file() {
    // 3,000 rows: every kind of row, far from the buffer's start.
    let picks: Vec<usize> = (0..3000).map(|i| (i * 7 + i / 13) % 12).collect();
    let text = mixed_file(&picks);
    for lenient in [true, false] {
        let general = outcome(&text, 1 << 16, lenient, false);
        for cap in [64, 1000, 1 << 16] {
            assert_eq!(
                outcome(&text, cap, lenient, true),
                general,
                "buffer {cap}, lenient {lenient}"
            );
        }
    }
    // Strict: the first bad row, with its line.
    let strict = outcome(&text, 1 << 16, false, true);
    assert!(
        strict.starts_with("Err(") && strict.contains("line: "),
        "{strict}"
    );
    // Lenient: the bad rows are counted.
    let lenient = outcome(&text, 1 << 16, true, true);
    assert!(
        lenient.contains("skipped: ") && !lenient.contains("skipped: 0,"),
        "{lenient}"
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::{collection, option};

    proptest! {
        /// Any mix of rows reads the same with and without the fast path,
        /// whatever the buffer size.
        #[test]
        fn fast_and_general_paths_agree(picks in collection::vec(0usize..12, 0..60), cap in 1usize..200, lenient in any::<bool>()) {
            let text = mixed_file(&picks);
            prop_assert_eq!(outcome(&text, cap, lenient, true), outcome(&text, 4096, lenient, false));
        }


        #[test]
        fn any_list_round_trips(spans in collection::vec((0u64..1000, option::of(0u64..500), 1u32..64, 1u64..100_000, 1u8..4), 0..40)) {
            let vms: Vec<VmSpec> = spans.iter().enumerate()
                .map(|(i, s)| vm(&format!("v{i}"), s.2, s.3, f64::from(s.4), (i % 2 == 0).then_some("low")))
                .collect();
            // VM order = arrival order, as every producer of this module writes.
            let mut sp: Vec<(u64, Option<u64>)> = spans.iter().map(|s| (s.0, s.1.map(|d| s.0 + d))).collect();
            sp.sort_by_key(|s| s.0);
            let list = EventList::from_spans(vms, &sp);
            let text = to_string(&list);
            prop_assert_eq!(read_event_list(text.as_bytes(), "p").unwrap(), list);
        }
    }
}
