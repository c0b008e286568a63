//! Cluster workloads: VM catalogues, usage profiles, the
//! seeded generator and readers of public traces, all producing one event
//! list ([`events::EventList`]) that the cluster experiment replays.
//!
//! - [`events`]: the event list types;
//! - [`catalogue`]: VM size catalogues (built-in, JSON/YAML files);
//! - [`profile`]: the Azure 2017 usage profiles and their variants;
//! - [`levels`]: oversubscription levels from integer percent shares;
//! - [`generator`]: the seeded generator;
//! - [`usage`]: per-slice CPU usage of generated VMs (optional output);
//! - [`csv`]: the event list CSV (format, writer; its reader is in
//!   [`readers`]);
//! - [`export`]: workloads written in the public trace formats;
//! - [`idmap`]: the id map the readers share;
//! - [`csvrows`]: the fast streaming CSV row reader the readers share,
//!   and [`csvfields`]: typed access to a row's fields;
//! - [`rules`]: levels of trace VMs (`--levels RULE`);
//! - [`trace_error`]: the one error type of the readers;
//! - [`readers`]: public traces (Azure vmtable V1/V2, Huawei-East-1, Azure
//!   2020 packing) and our event list CSV to event lists.

pub mod catalogue;
#[cfg(feature = "harness")]
pub mod csv;
#[cfg(feature = "harness")]
pub mod csvfields;
#[cfg(feature = "harness")]
pub mod csvrows;
pub mod events;
pub mod export;
pub mod generator;
mod generator_config;
pub mod idmap;
pub mod levels;
pub mod profile;
#[cfg(feature = "harness")]
pub mod readers;
#[cfg(feature = "harness")]
pub mod rules;
#[cfg(feature = "harness")]
pub mod trace_error;
pub mod usage;

pub use catalogue::{Catalogue, CatalogueError, BUILTIN_CATALOGUES};
#[cfg(feature = "harness")]
pub use csv::{write_event_csv, write_event_csv_file, EVENT_CSV_HEADER};
pub use events::{Event, EventKind, EventList, VmSpec};
pub use generator::{
    generate, generate_with_usage, GeneratorConfig, GeneratorConfigBuilder, GeneratorError,
};
pub use levels::{assign_levels, LevelError, LEVELS};
pub use profile::{Profile, ProfileVariant, AZURE2017_PROFILES};
#[cfg(feature = "harness")]
pub use readers::event_csv::{
    read_event_csv, read_event_list, EventCsvError, EventCsvReader, EventRow,
};
#[cfg(all(feature = "harness", feature = "sqlite"))]
pub use readers::read_azure_packing;
#[cfg(feature = "harness")]
pub use readers::{
    parse_azure_vmtable, parse_huawei, read_azure_vmtable, read_huawei, read_trace, Buckets,
    Category, CpuStats, HostShape, ReadOptions, ReadReport, TraceError, TraceFormat, TraceRead,
    VmAttr, VmAttrs,
};
#[cfg(feature = "harness")]
pub use rules::{LevelRule, RuleError};
pub use usage::{write_usage_csv, VmUsage};
