//! Our own monitoring trace (docs/monitoring-trace.md, plain or gzip) read
//! as a workload: what a host (a live daemon with `--trace`, a replay, the
//! trace generator) recorded of its VMs becomes an event list plus each
//! VM's CPU usage, so that `sweep --trace FILE --format monitoring` sizes a
//! cluster for those VMs and measures their price of packing.
//!
//! Only VM records are read (`rec` = `vm`); vNode and host records are
//! skipped. A VM is keyed by its uuid (else its name) and named by it:
//! - shape: `config` of its first CPU record (vCPUs) and of its first
//!   memory record (MB); level: `sb_oc` of its first CPU record;
//! - life: it arrives at the first timestamp it has a record at and leaves
//!   at the first timestamp of the trace after its last record (a VM still
//!   recorded at the last timestamp runs to the end: no departure);
//! - usage: each CPU record's `val` (fraction of its vCPUs) from that
//!   record's timestamp on; a `None` usage counts as idle (0). A VM
//!   without records at some timestamps between its first and last counts
//!   as present then, its last usage holding.
//!
//! A VM with a CPU record but no memory record (or the reverse), a vCPU or
//! memory count that is not a positive whole number, or a level outside
//! `[1, 1000]` is an error naming the file and line.

use std::collections::HashMap;
use std::path::Path;

use super::{ReadOptions, ReadReport, TraceError, VmAttrs};
use crate::level::Level;
use crate::trace::{RecKind, Record, Res, TraceReader};
use crate::workload::events::{EventList, VmSpec};

/// Per VM, its CPU usage samples `(time_s, fraction of its vCPUs)` in time
/// order, as the trace recorded them.
pub type UsageSamples = Vec<Vec<(u64, f32)>>;

/// One VM while reading.
#[derive(Debug, Default)]
struct Seen {
    id: String,
    vcpus: Option<u32>,
    mem_mb: Option<u64>,
    level: Option<Level>,
    first_s: u64,
    last_s: u64,
    samples: Vec<(u64, f32)>,
    line: u64,
}

/// Reads a monitoring trace: the event list, default attributes, the
/// report and each VM's usage samples (same order as the list's VMs).
pub(super) fn read(
    path: &Path,
    opts: &ReadOptions,
) -> Result<(EventList, VmAttrs, ReadReport, UsageSamples), TraceError> {
    if opts.skip_bad_rows {
        return Err(TraceError::Option {
            option: "--skip-bad-rows",
            message: "the monitoring format is read strictly (a bad row is an error)".into(),
        });
    }
    let name = path.display().to_string();
    let mut reader = TraceReader::open_any(path).map_err(TraceError::Monitoring)?;
    let mut rec = Record::default();
    let (mut seen, mut index) = (Vec::<Seen>::new(), HashMap::<String, usize>::new());
    let (mut times_s, mut report) = (Vec::<u64>::new(), ReadReport::default());
    while reader.next_into(&mut rec).map_err(TraceError::Monitoring)? {
        report.rows += 1;
        if times_s.last() != Some(&rec.tmp) {
            times_s.push(rec.tmp);
        }
        if rec.rec != Some(RecKind::Vm) {
            continue;
        }
        let key = rec
            .vm_uuid
            .as_deref()
            .or(rec.vm_cmn.as_deref())
            .unwrap_or("");
        if key.is_empty() {
            return Err(field(
                &name,
                reader.line(),
                "vm_uuid",
                "a VM record without uuid or name",
            ));
        }
        // Looked up by reference: a String is made once per VM, not per row.
        let i = match index.get(key) {
            Some(&i) => i,
            None => {
                let id = key.to_string();
                let (first_s, line) = (rec.tmp, reader.line());
                seen.push(Seen {
                    id: id.clone(),
                    first_s,
                    line,
                    ..Seen::default()
                });
                index.insert(id, seen.len() - 1);
                seen.len() - 1
            }
        };
        take(&mut seen[i], &rec, (&name, reader.line()))?;
    }
    finish(seen, &times_s, &name).map(|(list, attrs, samples)| (list, attrs, report, samples))
}

/// Records one VM row into `vm`.
fn take(vm: &mut Seen, rec: &Record, (name, line): (&str, u64)) -> Result<(), TraceError> {
    vm.last_s = rec.tmp;
    let whole = |column: &'static str| -> Result<u64, TraceError> {
        match rec.config {
            Some(c) if c >= 1.0 && c.fract() == 0.0 && c < 1e15 => Ok(c as u64),
            other => Err(field(
                name,
                line,
                column,
                &format!("`{other:?}` is not a positive whole number"),
            )),
        }
    };
    match rec.res {
        Some(Res::Cpu) => {
            if vm.vcpus.is_none() {
                let vcpus = whole("config")?;
                vm.vcpus = Some(
                    u32::try_from(vcpus)
                        .map_err(|_| field(name, line, "config", "too many vCPUs"))?,
                );
                let text = rec.sb_oc.as_deref().unwrap_or("None");
                let level = text
                    .parse::<Level>()
                    .map_err(|e| field(name, line, "sb_oc", &e.to_string()))?;
                vm.level = Some(level);
            }
            let usage = rec
                .val
                .filter(|u| u.is_finite())
                .unwrap_or(0.0)
                .clamp(0.0, 1.0);
            if vm.samples.last().map(|s| s.0) != Some(rec.tmp) {
                vm.samples.push((rec.tmp, usage as f32));
            }
        }
        Some(Res::Mem) if vm.mem_mb.is_none() => vm.mem_mb = Some(whole("config")?),
        _ => {}
    }
    Ok(())
}

/// The event list (VMs in order of first record), attributes and samples.
fn finish(
    seen: Vec<Seen>,
    times_s: &[u64],
    name: &str,
) -> Result<(EventList, VmAttrs, UsageSamples), TraceError> {
    let mut vms = Vec::with_capacity(seen.len());
    let mut spans = Vec::with_capacity(seen.len());
    let mut samples = Vec::with_capacity(seen.len());
    for vm in seen {
        let (Some(vcpus), Some(mem_mb), Some(level)) = (vm.vcpus, vm.mem_mb, vm.level) else {
            let what = if vm.vcpus.is_none() { "CPU" } else { "memory" };
            let message = format!("VM `{}` has no {what} record", vm.id);
            return Err(field(name, vm.line, "res", &message));
        };
        // The first timestamp after its last record, if any.
        let next = times_s.partition_point(|&t| t <= vm.last_s);
        spans.push((vm.first_s, times_s.get(next).copied()));
        vms.push(VmSpec {
            id: vm.id,
            vcpus,
            mem_mb,
            level,
            profile: None,
        });
        samples.push(vm.samples);
    }
    let attrs = VmAttrs::none();
    let mut list = EventList::from_spans(vms, &spans);
    list.sort_stable();
    Ok((list, attrs, samples))
}

fn field(name: &str, line: u64, column: &'static str, message: &str) -> TraceError {
    TraceError::Csv {
        source_name: name.to_string(),
        line,
        message: format!("column `{column}`: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::HEADER;
    use crate::workload::EventKind;

    fn write(name: &str, rows: &[&str]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("slackvm-monitoring-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
        path
    }

    fn vm(t: u64, res: &str, val: &str, config: u64, id: &str, oc: &str) -> String {
        format!("{t}\tvm\t{res}\t{val}\t{config}\tsubset-{oc}\t{id}\t{id}\t{oc}\tNone\tNone")
    }

    #[test]
    fn lives_shapes_levels_and_samples_by_hand() {
        // a: 0..120 (recorded at 0 and 60, gone at 120); b: from 60 to the end.
        let rows = [
            vm(0, "cpu", "0.5", 2, "a", "2.0"),
            vm(0, "mem", "0.5", 1024, "a", "1"),
            vm(60, "cpu", "None", 2, "a", "2.0"),
            vm(60, "cpu", "0.25", 4, "b", "1.0"),
            vm(60, "mem", "0.5", 1024, "a", "1"),
            vm(60, "mem", "0.5", 4096, "b", "1"),
            "120\tglobal\tcpu\t0.1\t8\tNone\tNone\tNone\tNone\tNone\tNone".to_string(),
            vm(120, "cpu", "1.0", 4, "b", "1.0"),
            vm(120, "mem", "0.5", 4096, "b", "1"),
        ];
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let path = write("by-hand.tsv", &rows);
        let (list, attrs, report, samples) = read(&path, &ReadOptions::default()).unwrap();
        assert_eq!((report.rows, attrs.all_default()), (9, true));
        let shapes: Vec<_> = list
            .vms
            .iter()
            .map(|v| (v.id.as_str(), v.vcpus, v.mem_mb, v.level))
            .collect();
        assert_eq!(
            shapes,
            [("a", 2, 1024, Level::TWO), ("b", 4, 4096, Level::ONE)]
        );
        let events: Vec<_> = list
            .events
            .iter()
            .map(|e| (e.time_s, e.kind, e.vm))
            .collect();
        assert_eq!(
            events,
            [
                (0, EventKind::Arrival, 0),
                (60, EventKind::Arrival, 1),
                (120, EventKind::Departure, 0)
            ]
        );
        assert_eq!(
            samples,
            [vec![(0, 0.5), (60, 0.0)], vec![(60, 0.25), (120, 1.0)]]
        );
    }

    #[test]
    fn a_vm_without_memory_record_names_the_file_and_line() {
        let rows = [
            vm(0, "cpu", "0.5", 2, "a", "2.0"),
            vm(0, "mem", "0.5", 512, "b", "1"),
        ];
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let path = write("no-mem.tsv", &rows);
        let e = read(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no-mem.tsv: line 2") && e.contains("VM `a` has no memory record"),
            "{e}"
        );
        let bad = write("bad-level.tsv", &[&vm(0, "cpu", "0.5", 2, "a", "0.5")]);
        let e = read(&bad, &ReadOptions::default()).unwrap_err().to_string();
        assert!(
            e.contains("bad-level.tsv: line 2") && e.contains("sb_oc"),
            "{e}"
        );
        let lenient = ReadOptions {
            skip_bad_rows: true,
            ..ReadOptions::default()
        };
        assert!(read(&bad, &lenient)
            .unwrap_err()
            .to_string()
            .contains("--skip-bad-rows"));
    }
}
