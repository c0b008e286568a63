//! Readers that turn VM traces, as their owners publish them, into an
//! [`EventList`], one file per format, plus what they share: the options
//! ([`ReadOptions`]), the lenient mode ([`ReadReport`]: `--skip-bad-rows`),
//! the per-VM attributes the level rules need ([`VmAttr`]), and the final
//! ordering ([`Collected::finish`]).
//!
//! Every reader:
//! - streams its input (plain or gzip, by the first bytes; a BOM, CRLF
//!   line ends and a missing final newline are fine: [`crate::workload::csvrows`]);
//! - gives each VM level 1.0 (traces carry no level): the level rules of
//!   [`crate::workload::rules`] set them;
//! - numbers VMs in arrival order (ties: file order) and writes, at one
//!   time, arrivals before departures, as the generator does;
//! - converts memory GB to MB as `round(gb * 1024)`;
//! - gives a VM that never leaves no departure event (alive to the end);
//! - stops at the first bad row with its file, line and column, unless
//!   [`ReadOptions::skip_bad_rows`]: then the row is skipped and counted.
//!
//! Formats ([`TraceFormat`]): [`huawei`] (Huawei-East-1), [`azure_vmtable`]
//! (Azure public dataset vmtable V1 and V2), [`azure_packing`] (Azure 2020
//! packing trace, SQLite), and our event list CSV ([`event_csv`]). The
//! CSV formats share one row loop (`each_row`).

#[cfg(feature = "sqlite")]
pub mod azure_packing;
pub mod azure_vmtable;
mod event_build;
pub mod event_csv;
mod event_fast;
mod event_row;
pub mod huawei;
mod huawei_fast;
pub mod monitoring;
mod plain;
mod vm_attrs;

pub use super::trace_error::TraceError;
#[cfg(feature = "sqlite")]
pub use azure_packing::read_azure_packing;
pub use azure_vmtable::{parse_azure_vmtable, read_azure_vmtable, Buckets};
pub use huawei::{parse_huawei, read_huawei};
pub use vm_attrs::VmAttrs;

use std::io::BufRead;
use std::path::Path;

use super::csvrows::{CsvRows, Fields};
use super::events::{EventList, VmSpec};
use crate::level::Level;

/// The formats a trace can be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceFormat {
    /// Huawei-East-1 CSV.
    Huawei,
    /// Azure vmtable V1 or V2 CSV.
    AzureVmtable,
    /// Azure 2020 packing trace (SQLite).
    AzurePacking,
    /// Our event list CSV.
    Events,
    /// Our monitoring trace (docs/monitoring-trace.md): VMs, levels and
    /// CPU usage as a host recorded them.
    Monitoring,
}

impl TraceFormat {
    /// Every format, in documentation order.
    pub const ALL: [TraceFormat; 5] = [
        TraceFormat::Huawei,
        TraceFormat::AzureVmtable,
        TraceFormat::AzurePacking,
        TraceFormat::Events,
        TraceFormat::Monitoring,
    ];

    /// Name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TraceFormat::Huawei => "huawei",
            TraceFormat::AzureVmtable => "azure-vmtable",
            TraceFormat::AzurePacking => "azure-packing",
            TraceFormat::Events => "events",
            TraceFormat::Monitoring => "monitoring",
        }
    }

    /// Parses a name given by [`TraceFormat::name`].
    pub fn parse(name: &str) -> Result<Self, TraceError> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| TraceError::Option {
                option: "--format",
                message: format!(
                    "unknown trace format `{name}` (known: {})",
                    Self::ALL.map(|f| f.name()).join(", ")
                ),
            })
    }
}

/// The host that the packing trace's `core` and `memory` fractions refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostShape {
    /// CPUs of one host.
    pub cpus: u32,
    /// Memory of one host in MB.
    pub mem_mb: u64,
}

impl Default for HostShape {
    /// 32 CPUs, 131072 MB (the cluster experiment's host).
    fn default() -> Self {
        HostShape {
            cpus: 32,
            mem_mb: 131_072,
        }
    }
}

/// How to read a trace.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadOptions {
    /// Skip (and count) malformed rows instead of stopping at the first.
    pub skip_bad_rows: bool,
    /// vmtable: values of the `>N` bucket labels.
    pub buckets: Buckets,
    /// Packing trace: the host the fractions refer to.
    pub host: HostShape,
    /// Packing trace: the machine type (`vmType.machineId`) whose rows give
    /// the VM shapes; `None`: the only one in the file.
    pub machine_id: Option<i64>,
}

/// What reading found besides the VMs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadReport {
    /// Data rows read (skipped ones included).
    pub rows: u64,
    /// Rows skipped as malformed (lenient mode).
    pub skipped: u64,
    /// The first skipped rows' errors (at most [`ReadReport::KEEP`]).
    pub first_skipped: Vec<String>,
    /// VMs left out because they ended before the trace window (packing).
    pub ended_before_start: u64,
}

impl ReadReport {
    /// Skipped-row errors kept for the report.
    pub const KEEP: usize = 5;

    /// Runs one row's parsing: an error stops the read, or (lenient, and a
    /// row error) is counted and the row skipped.
    pub(crate) fn row(
        &mut self,
        lenient: bool,
        parse: impl FnOnce() -> Result<(), TraceError>,
    ) -> Result<(), TraceError> {
        self.rows += 1;
        match parse() {
            Err(e) if lenient && e.is_row_error() => {
                self.skipped += 1;
                if self.first_skipped.len() < Self::KEEP {
                    self.first_skipped.push(e.to_string());
                }
                Ok(())
            }
            other => other,
        }
    }
}

/// Azure vmtable VM category, as spelled in the files (`Unkown` included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `Interactive`.
    Interactive,
    /// `Delay-insensitive`.
    DelayInsensitive,
    /// `Unkown` (sic, the real files) or `Unknown` (the documentation).
    Unknown,
}

impl Category {
    /// Reads a category as spelled in a vmtable.
    pub fn parse(text: &str) -> Option<Category> {
        match text {
            "Interactive" => Some(Category::Interactive),
            "Delay-insensitive" => Some(Category::DelayInsensitive),
            "Unkown" | "Unknown" => Some(Category::Unknown),
            _ => None,
        }
    }
    /// Name in rules and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Category::Interactive => "interactive",
            Category::DelayInsensitive => "delay-insensitive",
            Category::Unknown => "unknown",
        }
    }
}

/// A VM's CPU use as a trace summarises it, in fractions of its vCPUs
/// (the vmtable's `avgcpu`, `p95maxcpu`, `maxcpu` / 100).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CpuStats {
    /// Mean.
    pub avg: f64,
    /// 95th percentile of the maxima.
    pub p95: f64,
    /// Maximum.
    pub max: f64,
}

/// What a format knows of a VM beyond its shape (for the level rules and
/// the CPU usage of the price of packing).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VmAttr {
    /// vmtable category.
    pub category: Option<Category>,
    /// Packing trace priority (0 high, 1 low).
    pub priority: Option<i64>,
    /// Packing trace `vmTypeId`.
    pub vm_type: Option<i64>,
    /// CPU use summary (vmtable), when the trace gives one.
    pub cpu: Option<CpuStats>,
}

/// A trace read: its event list, each VM's attributes (same order as
/// `list.vms`) and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRead {
    /// The format read.
    pub format: TraceFormat,
    /// VMs and events (levels 1.0, except for the event list format).
    pub list: EventList,
    /// Attributes per VM (looked up by VM number).
    pub attrs: VmAttrs,
    /// Rows read and skipped.
    pub report: ReadReport,
    /// Per VM, the CPU usage samples the trace recorded (monitoring traces;
    /// `None` for the other formats).
    pub usage: Option<monitoring::UsageSamples>,
}

/// Reads a trace of any format (`-` reads standard input, except for the
/// SQLite packing trace).
pub fn read_trace(
    path: &Path,
    format: TraceFormat,
    opts: &ReadOptions,
) -> Result<TraceRead, TraceError> {
    let mut usage = None;
    let (list, attrs, report) = match format {
        TraceFormat::Monitoring => {
            let (list, attrs, report, samples) = monitoring::read(path, opts)?;
            usage = Some(samples);
            (list, attrs, report)
        }
        TraceFormat::Huawei => huawei::read(path, opts)?,
        TraceFormat::AzureVmtable => azure_vmtable::read(path, opts)?,
        TraceFormat::Events => event_csv::read(path, opts)?,
        #[cfg(feature = "sqlite")]
        TraceFormat::AzurePacking => azure_packing::read(path, opts)?,
        #[cfg(not(feature = "sqlite"))]
        TraceFormat::AzurePacking => {
            return Err(TraceError::Option {
                option: "--format",
                message: "azure-packing needs the `sqlite` feature (on by default)".into(),
            })
        }
    };
    Ok(TraceRead {
        format,
        list,
        attrs,
        report,
        usage,
    })
}

/// A VM of level 1.0 without profile.
pub(crate) fn vm(id: String, vcpus: u32, mem_mb: u64) -> VmSpec {
    VmSpec {
        id,
        vcpus,
        mem_mb,
        level: Level::ONE,
        profile: None,
    }
}

/// VMs as read, with their spans `(arrival_s, departure_s)` and attributes.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub vms: Vec<VmSpec>,
    pub spans: Vec<(u64, Option<u64>)>,
    /// One per VM from the first VM with attributes other than the
    /// default on (empty while there is none).
    pub attrs: Vec<VmAttr>,
}

impl Collected {
    /// Adds a VM.
    pub fn push(&mut self, vm: VmSpec, span: (u64, Option<u64>), attr: VmAttr) {
        if !self.attrs.is_empty() || attr != VmAttr::default() {
            self.attrs.resize(self.vms.len(), VmAttr::default());
            self.attrs.push(attr);
        }
        self.vms.push(vm);
        self.spans.push(span);
    }

    /// The event list, VMs renumbered in arrival order (ties keep file
    /// order), reordered in place (no copy of the VMs).
    pub fn finish(mut self) -> (EventList, VmAttrs) {
        let sorted = self.spans.windows(2).all(|w| w[0].0 <= w[1].0);
        if !sorted {
            let mut order: Vec<u32> = (0..self.vms.len() as u32).collect();
            order.sort_unstable_by_key(|&i| (self.spans[i as usize].0, i));
            permute(&mut self.vms, &order);
            permute(&mut self.spans, &order);
            if !self.attrs.is_empty() {
                self.attrs.resize(self.vms.len(), VmAttr::default());
                permute(&mut self.attrs, &order);
            }
        }
        let attrs = VmAttrs::per_vm(self.attrs);
        (EventList::from_spans(self.vms, &self.spans), attrs)
    }
}

/// Reorders `v` in place so that `v[k]` becomes the old `v[order[k]]`.
fn permute<T>(v: &mut [T], order: &[u32]) {
    debug_assert_eq!(v.len(), order.len());
    let mut done = vec![false; v.len()];
    for i in 0..v.len() {
        let mut j = i;
        while !done[j] {
            done[j] = true;
            let src = order[j] as usize;
            if src == i {
                break;
            }
            v.swap(j, src);
            j = src;
        }
    }
}

/// Reads every remaining row of `rows` through `row`, its columns named
/// `names` in errors: a bad row stops the read, or, `lenient`, is
/// counted and skipped ([`ReadReport::row`]).
pub(crate) fn each_row<R: BufRead>(
    rows: &mut CsvRows<R>,
    names: &[&'static str],
    lenient: bool,
    mut row: impl FnMut(&Fields<'_>) -> Result<(), TraceError>,
) -> Result<ReadReport, TraceError> {
    let mut report = ReadReport::default();
    while let Some(f) = rows.next_row()? {
        let f = f.named(names);
        report.row(lenient, || row(&f))?;
    }
    Ok(report)
}

/// Index of each `wanted` column in a header row, or the first missing one.
pub(crate) fn columns<const N: usize>(
    header: &Fields<'_>,
    wanted: [&'static str; N],
) -> Result<[usize; N], TraceError> {
    let mut out = [0usize; N];
    for (slot, name) in out.iter_mut().zip(wanted) {
        *slot = (0..header.len())
            .find(|&i| header.bytes(i) == name.as_bytes())
            .ok_or_else(|| TraceError::MissingColumn {
                source_name: header.source_name().to_string(),
                line: header.line(),
                column: name,
            })?;
    }
    Ok(out)
}

/// What the readers' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};

    use crate::workload::events::{Event, EventKind, EventList};

    /// Path of a hand-written sample under `datasets/samples/`.
    pub fn sample(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../datasets/samples")
            .join(name)
    }

    /// `(id, vcpus, mem_mb)` of every VM, in order.
    pub fn shapes(list: &EventList) -> Vec<(&str, u32, u64)> {
        list.vms
            .iter()
            .map(|v| (v.id.as_str(), v.vcpus, v.mem_mb))
            .collect()
    }

    /// An event.
    pub fn ev(time_s: u64, kind: EventKind, vm: usize) -> Event {
        Event { time_s, kind, vm }
    }

    /// A fresh temporary directory for one test.
    pub fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("slackvm-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_in_place_follows_cycles() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut v, &[3, 0, 4, 1, 2]);
        assert_eq!(v, vec!['d', 'a', 'e', 'b', 'c']);
        let mut c = Collected::default();
        for (i, t) in [5u64, 0, 5, 1].into_iter().enumerate() {
            c.push(vm(format!("v{i}"), 1, 1), (t, None), VmAttr::default());
        }
        let (l, _) = c.finish();
        let ids: Vec<&str> = l.vms.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, vec!["v1", "v3", "v0", "v2"]);
    }

    #[test]
    fn formats_by_name() {
        for f in TraceFormat::ALL {
            assert_eq!(TraceFormat::parse(f.name()).unwrap(), f);
        }
        let e = TraceFormat::parse("csv").unwrap_err().to_string();
        assert!(e.starts_with("--format: unknown trace format `csv`"), "{e}");
        assert_eq!(Category::parse("Unkown"), Some(Category::Unknown));
    }
}
