//! Tests of the catalogue module: the built-in tables' rank pairing,
//! hand-worked shape lists, and catalogue files (JSON, YAML, errors).

use super::*;

fn runs(shapes: &[(u32, u64)]) -> Vec<(usize, u32, u64)> {
    let mut out: Vec<(usize, u32, u64)> = Vec::new();
    for &(c, m) in shapes {
        match out.last_mut() {
            Some(last) if last.1 == c && last.2 == m => last.0 += 1,
            _ => out.push((1, c, m)),
        }
    }
    out
}

#[test]
fn ovhcloud_500_is_rank_paired_as_in_workload_md() {
    let shapes = Catalogue::ovhcloud2023().shapes(500);
    let gb = |g: u64| g * 1024;
    assert_eq!(
        runs(&shapes),
        vec![
            (50, 1, gb(2)),
            (105, 2, gb(4)),
            (135, 2, gb(7)),
            (70, 4, gb(8)),
            (100, 4, gb(15)),
            (25, 8, gb(30)),
            (15, 16, gb(60)),
        ]
    );
}

#[test]
fn azure_memory_is_rounded_to_mb() {
    let c = Catalogue::azure2017();
    assert_eq!(c.mem_mb[0], (768, 0.04));
    assert_eq!(c.mem_mb[1], (1792, 0.47));
    assert_eq!(c.mem_mb[2], (3584, 0.25));
    let ch = Catalogue::chameleon2020();
    assert_eq!(ch.mem_mb[0], (512, 0.02));
}

#[test]
fn azure_100_by_hand() {
    // vCPUs: 51 x 1, 25 x 2, 17 x 4, 7 x 8 = 100.
    // memory: round(4)=4 x 768, 47 x 1792, 25 x 3584, 16 x 7168, 6 x 14336,
    // then 100 - 98 = 2 x 57344.
    let shapes = Catalogue::azure2017().shapes(100);
    assert_eq!(
        runs(&shapes),
        vec![
            (4, 1, 768),
            (47, 1, 1792),
            (25, 2, 3584),
            (16, 4, 7168),
            (1, 4, 14336),
            (5, 8, 14336),
            (2, 8, 57344),
        ]
    );
}

#[test]
fn chameleon_shapes_are_never_more_than_n() {
    // vCPU shares sum to 1.01: floors give 26+20+12+43 = 101 > 100.
    // The set follows the rule literally: 101 shapes, memory
    // 2 + 24 + 20 + 12 (round of 0.12*101 = 12.12) + 43 left.
    let shapes = Catalogue::chameleon2020().shapes(100);
    assert_eq!(shapes.len(), 101);
    assert_eq!(shapes.last(), Some(&(8, 16384)));
}

#[test]
fn decimal_floor_and_ceil() {
    assert_eq!(floor_share(0.29, 100), 29);
    assert_eq!(ceil_share(0.07, 100), 7);
    assert_eq!(ceil_share(0.071, 100), 8);
    assert_eq!(round_share(0.125, 4), 1); // 0.5 rounds up
}

#[test]
fn yaml_and_json_files_load_and_sort() {
    let y = "name: tiny\nvcpus:\n  - {size: 2, share: 0.5}\n  - {size: 1, share: 0.5}\nmemory_gb:\n  - {size: 1.5, share: 1.0}\n";
    let c = Catalogue::from_yaml_str(y, Path::new("t.yaml"), "t").unwrap();
    assert_eq!(c.name, "tiny");
    assert_eq!(c.vcpus, vec![(1, 0.5), (2, 0.5)]);
    assert_eq!(c.mem_mb, vec![(1536, 1.0)]);
    let j = r#"{"vcpus": [{"size": 4, "share": 1}], "memory_gb": [{"size": 8, "share": 1}]}"#;
    let c = Catalogue::from_json_str(j, Path::new("x.json"), "x").unwrap();
    assert_eq!(c.name, "x");
    assert_eq!(c.shapes(3), vec![(4, 8192); 3]);
}

#[test]
fn bad_files_name_file_and_field() {
    let j = r#"{"vcpus": [{"size": 1.5, "share": 1}], "memory_gb": [{"size": 8, "share": 1}]}"#;
    let e = Catalogue::from_json_str(j, Path::new("c.json"), "c").unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("c.json") && msg.contains("vcpus[0].size"),
        "{msg}"
    );
    let j = r#"{"vcpus": [{"size": 1, "share": 0.5}], "memory_gb": [{"size": 8, "share": 1}]}"#;
    let msg = Catalogue::from_json_str(j, Path::new("c.json"), "c")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("`vcpus`") && msg.contains("sum"), "{msg}");
    let y = "vcpus: [{size: 1, share: 1}]\nmemory_gb: [{size: 8, shares: 1}]\n";
    let e = Catalogue::from_yaml_str(y, Path::new("c.yml"), "c").unwrap_err();
    match e {
        CatalogueError::Parse { line, .. } => assert_eq!(line, 2),
        other => panic!("{other}"),
    }
    let msg = Catalogue::resolve("nope").unwrap_err().to_string();
    assert!(msg.contains("nope"));
}

#[test]
fn load_from_disk() {
    let dir = std::env::temp_dir().join(format!("slackvm-cat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("mine.yaml");
    std::fs::write(
        &p,
        "vcpus: [{size: 1, share: 1}]\nmemory_gb: [{size: 2, share: 1}]\n",
    )
    .unwrap();
    let c = Catalogue::resolve(p.to_str().unwrap()).unwrap();
    assert_eq!(c.name, "mine");
    let bad = dir.join("mine.toml");
    std::fs::write(&bad, "").unwrap();
    assert!(matches!(
        Catalogue::load(&bad),
        Err(CatalogueError::UnknownFormat { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}
