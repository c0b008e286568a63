//! Workloads written in the public trace formats, for measuring the
//! readers and the engine at the public datasets' scale without their
//! rows: [`write_huawei`] (an event list as a Huawei-East-1 file, decimal
//! times as in the real file) and [`write_vmtable`] (a seeded synthetic
//! Azure V2 vmtable: base64-like ids, float CPU columns, bucket labels,
//! the three categories as spelled in the real file, 30 days).

use std::io::{self, Write};

use super::events::{EventKind, EventList};
use crate::rng::Rng;

/// Writes `list` as a Huawei-East-1 request trace (`vmid,cpu,memory,time,type`,
/// memory in GB, time with a decimal part, type 0 create / 1 delete),
/// events in list order, no final newline (as the real file). Levels are
/// not part of the format.
pub fn write_huawei<W: Write>(list: &EventList, out: W) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    write!(out, "vmid,cpu,memory,time,type")?;
    for e in &list.events {
        let vm = &list.vms[e.vm];
        let kind = match e.kind {
            EventKind::Arrival => 0,
            EventKind::Departure => 1,
        };
        let gb = vm.mem_mb as f64 / 1024.0;
        write!(
            out,
            "\n{},{},{},{}.0,{}",
            e.vm, vm.vcpus, gb, e.time_s, kind
        )?;
    }
    out.flush()
}

/// The last 5-minute slot of a 30-day vmtable (what a VM alive at the end
/// carries as `vmdeleted`).
pub const VMTABLE_END_S: u64 = 2_591_700;

/// V2 shapes (core bucket, memory bucket) and their weights in permille.
const SHAPES: [(&str, &str, u64); 8] = [
    ("2", "4", 380),
    ("2", "8", 90),
    ("4", "8", 230),
    ("4", "32", 40),
    ("8", "32", 150),
    ("12", "32", 40),
    ("24", "64", 50),
    (">24", ">64", 20),
];
const CATEGORIES: [(&str, u64); 3] = [
    ("Delay-insensitive", 420),
    ("Interactive", 180),
    ("Unkown", 400),
];
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn pick<T: Copy>(rng: &mut Rng, table: &[(T, u64)]) -> T {
    let mut x = rng.below(1000);
    for &(v, w) in table {
        if x < w {
            return v;
        }
        x -= w;
    }
    table[table.len() - 1].0
}

fn id(rng: &mut Rng, out: &mut Vec<u8>) {
    for _ in 0..62 {
        out.push(B64[rng.below(64) as usize]);
    }
    out.extend_from_slice(b"==");
}

/// Writes a synthetic Azure V2 vmtable of `vms` VMs (seeded; ~300 bytes a
/// row like the real file): creations uniform over 30 days in 5-minute
/// slots, lifetimes exponential with a 12-hour mean (cut at the end),
/// shapes and categories drawn from fixed weights.
pub fn write_vmtable<W: Write>(vms: usize, seed: u64, out: W) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    let mut rng = Rng::derive(seed, "vmtable", 0);
    let shapes: Vec<((&str, &str), u64)> = SHAPES.iter().map(|&(c, m, w)| ((c, m), w)).collect();
    let mut line = Vec::with_capacity(512);
    for _ in 0..vms {
        line.clear();
        for _ in 0..3 {
            id(&mut rng, &mut line);
            line.push(b',');
        }
        let created = rng.below(VMTABLE_END_S / 300 + 1) * 300;
        let life = (-43_200.0 * (1.0 - rng.unit()).ln()) as u64;
        let deleted = (created + 300 + life / 300 * 300).min(VMTABLE_END_S);
        let avg = rng.uniform(0.0, 60.0);
        let p95 = avg + rng.uniform(0.0, 40.0);
        let max = p95.max(rng.uniform(p95, 100.0));
        let (cores, mem) = pick(&mut rng, &shapes);
        let category = pick(&mut rng, &CATEGORIES);
        writeln!(
            line,
            "{created},{deleted},{max:.13},{avg:.13},{p95:.13},{category},{cores},{mem}"
        )?;
        out.write_all(&line)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::parse_azure_vmtable;

    #[test]
    fn a_synthetic_vmtable_reads_back_deterministically() {
        let mut a = Vec::new();
        write_vmtable(500, 3, &mut a).unwrap();
        let mut b = Vec::new();
        write_vmtable(500, 3, &mut b).unwrap();
        assert_eq!(a, b);
        let per_row = a.len() / 500;
        assert!((250..350).contains(&per_row), "{per_row} bytes a row");
        let l = parse_azure_vmtable(a.as_slice(), "synthetic").unwrap();
        assert_eq!(l.vms.len(), 500);
        assert_eq!(l.events.len(), 1000);
        assert!(l.vms.iter().any(|v| v.vcpus == 30));
    }
}
