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
    let (list, cpu, _) = read_list(text.as_bytes(), "c", false).unwrap();
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
    assert_eq!(read_list(plain.as_bytes(), "p", false).unwrap().1, None);
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

mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::{collection, option};

    proptest! {
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
