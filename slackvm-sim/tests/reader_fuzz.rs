//! Fuzz pass over the readers of untrusted input: the monitoring trace
//! reader, the event-list CSV reader and the public trace readers (Azure
//! vmtable, Huawei) get random bytes and mutated valid inputs; they may
//! refuse, never panic. `SLACKVM_FUZZ_CASES` sets the case count (default
//! 256; CI runs more in release).
#![cfg(feature = "harness")]

use proptest::prelude::*;
use slackvm_sim::trace::TraceReader;
use slackvm_sim::workload::{parse_azure_vmtable, parse_huawei, read_event_list};
use std::io::Cursor;
use std::path::Path;

/// A valid monitoring trace (header and a few records of each kind).
const TRACE: &str =
    "tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\tsb_dsc\n\
0\tglobal\tcpu\t0.25\t32\tNone\tNone\tNone\tNone\tNone\tNone\n\
0\tsubset\tcpu\t0.5\t2\tsubset-2.0\tNone\tNone\t2.0\t0\t{}\n\
0\tvm\tcpu\t0.25\t2\tsubset-2.0\tua\ta\t2.0\tNone\tNone\n\
15\tglobal\tmem\t1024\t131072\tNone\tNone\tNone\tNone\tNone\tNone\n";

/// A valid event list.
const EVENTS: &str = "time_s,event,vm_id,vcpus,mem_mb,level,profile\n0,arrival,a,2,1024,2.0,low\n\
5,arrival,b,1,512,1.0,\n9,departure,a,2,1024,2.0,low\n";

fn cases() -> u32 {
    std::env::var("SLACKVM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Reads a whole monitoring trace; the outcome does not matter.
fn read_trace(bytes: Vec<u8>) {
    let Ok(mut reader) =
        TraceReader::from_reader(Path::new("fuzz.tsv"), Box::new(Cursor::new(bytes)))
    else {
        return;
    };
    let mut rec = Default::default();
    for _ in 0..10_000 {
        match reader.next_into(&mut rec) {
            Ok(true) => {}
            Ok(false) | Err(_) => return,
        }
    }
}

fn read_all(bytes: &[u8]) {
    read_trace(bytes.to_vec());
    let _ = read_event_list(Cursor::new(bytes.to_vec()), "fuzz.csv");
    let _ = parse_azure_vmtable(Cursor::new(bytes.to_vec()), "fuzz-vmtable.csv");
    let _ = parse_huawei(Cursor::new(bytes.to_vec()), "fuzz-huawei.csv");
}

/// A valid input with some bytes replaced, inserted or removed.
fn mutated(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..12).prop_map(
        move |edits| {
            let mut bytes = base.as_bytes().to_vec();
            for (at, byte, kind) in edits {
                let i = at.index(bytes.len().max(1)).min(bytes.len());
                match kind {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => {}
                }
            }
            bytes
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        read_all(&bytes);
    }

    #[test]
    fn mutated_traces_never_panic(bytes in mutated(TRACE)) {
        read_all(&bytes);
    }

    #[test]
    fn mutated_event_lists_never_panic(bytes in mutated(EVENTS)) {
        read_all(&bytes);
    }

    #[test]
    fn random_text_lines_never_panic(lines in prop::collection::vec("[0-9a-z.,\t\"-]{0,40}", 0..20)) {
        let mut text = String::from(TRACE.lines().next().unwrap());
        for l in lines {
            text.push('\n');
            text.push_str(&l);
        }
        read_all(text.as_bytes());
    }
}

#[test]
fn the_mutated_inputs_start_valid() {
    let mut reader = TraceReader::from_reader(
        Path::new("t.tsv"),
        Box::new(Cursor::new(TRACE.as_bytes().to_vec())),
    )
    .unwrap();
    let mut rec = Default::default();
    let mut n = 0;
    while reader.next_into(&mut rec).unwrap() {
        n += 1;
    }
    assert_eq!(n, 4);
    let list = read_event_list(Cursor::new(EVENTS.as_bytes()), "e.csv").unwrap();
    assert_eq!(list.events.len(), 3);
}
