//! Compares a generated preset with a prototype file CPU by CPU.
use slackvm_sim::topology::{load_json_file, preset};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ours = preset(&args[1]).expect("preset");
    let theirs = load_json_file(args[2].as_ref()).expect("file");
    let mut diffs = 0;
    for (a, b) in ours.cpus().iter().zip(theirs.cpus()) {
        let mut a2 = a.clone();
        let mut b2 = b.clone();
        a2.package_siblings.sort_unstable();
        b2.package_siblings.sort_unstable();
        if a2 != b2 {
            diffs += 1;
            if diffs < 3 {
                println!("ours {a:?}\ntheirs {b:?}");
            }
        }
    }
    let same_dist = (0..ours.cpu_count()).all(|i| {
        (0..ours.cpu_count()).all(|j| ours.distance_idx(i, j) == theirs.distance_idx(i, j))
    });
    println!("{} vs {}: {} cpus vs {}, {diffs} differing CPUs, distances equal: {same_dist}, mem {} vs {}", args[1], args[2], ours.cpu_count(), theirs.cpu_count(), ours.mem_allowed_mb(), theirs.mem_allowed_mb());
}
