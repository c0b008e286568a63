//! Loads prototype topology files given on the command line and reports
//! how their precomputed `distances` tables compare with the distance rule.
use slackvm_sim::topology::{load_json_file, stale_distances};
use std::collections::BTreeMap;

fn main() {
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).expect("readable file");
        match load_json_file(path.as_ref()) {
            Ok(t) => {
                let stale = stale_distances(&text, &t);
                let mut kinds: BTreeMap<(u64, u16), usize> = BTreeMap::new();
                for (_, _, file, rule) in &stale {
                    *kinds.entry((*file, *rule)).or_default() += 1;
                }
                println!(
                    "{path}: {} CPUs, host_count {}, mem {} MB, {} stale pairs {:?}",
                    t.cpu_count(),
                    t.host_cpu_count(),
                    t.mem_allowed_mb(),
                    stale.len(),
                    kinds
                );
            }
            Err(e) => println!("{path}: ERROR {e}"),
        }
    }
}
