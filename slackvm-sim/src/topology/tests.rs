use super::*;

#[test]
fn epyc_distances_follow_the_rule() {
    let t = preset("epyc-7662").unwrap();
    assert_eq!(t.cpu_count(), 256);
    assert_eq!(t.distance(0, 128), Some(10), "SMT sibling");
    assert_eq!(t.distance(0, 3), Some(40), "same CCX");
    assert_eq!(t.distance(0, 131), Some(40), "same CCX, other thread");
    assert_eq!(t.distance(0, 4), Some(50), "same socket");
    assert_eq!(t.distance(0, 64), Some(72), "other socket");
    assert_eq!(t.distance(0, 255), Some(72));
}

#[test]
fn exp_preset_excludes_24_cpus() {
    let t = preset("epyc-7662-exp").unwrap();
    assert_eq!(t.cpu_count(), 232);
    assert_eq!(t.host_cpu_count(), 256);
    assert_eq!(t.cpus()[0].id, 12);
    assert_eq!(t.cpus()[116].id, 140);
    assert_eq!(t.cpus()[0].smt_siblings, vec![140]);
    assert!(!t.cpus()[0].package_siblings.contains(&11));
    assert_eq!(t.mem_allowed_mb(), 1_031_742);
}

#[test]
fn json_round_trip_keeps_everything() {
    for p in preset_names() {
        let t = preset(p.name).unwrap();
        let back = parse_json(&to_json_string(&t), "roundtrip").unwrap();
        assert_eq!(back.cpus(), t.cpus(), "{}", p.name);
        assert_eq!(back.numa_distances(), t.numa_distances());
        assert_eq!(back.host_cpu_count(), t.host_cpu_count());
        assert_eq!(back.mem_allowed_mb(), t.mem_allowed_mb());
        let text = to_json_string(&t);
        assert!(stale_distances(&text, &back).is_empty());
    }
}

const SMALL: &str = r#"{"cpuset": {"numa_distances": {"0": [10, 21], "1": [21, 10]},
 "cpu_list": [
  {"cpu_id": 0, "numa_node": 0, "sib_smt": [2], "sib_cpu": [2], "cache_level": {"0": 0, "1": 0, "2": 0, "3": 0}, "max_freq": 1000},
  {"cpu_id": 1, "numa_node": 1, "sib_smt": [3], "sib_cpu": [3], "cache_level": {"0": 1, "1": 1, "2": 1, "3": 1}, "max_freq": 1000},
  {"cpu_id": 2, "numa_node": 0, "sib_smt": [0], "sib_cpu": [0], "cache_level": {"0": 0, "1": 0, "2": 0, "3": 0}, "max_freq": 1000},
  {"cpu_id": 3, "numa_node": 1, "sib_smt": [1], "sib_cpu": [1], "cache_level": {"0": 1, "1": 1, "2": 1, "3": 1}, "max_freq": 1000}],
 "distances": {"0": {"2": 10, "1": 99}}, "host_count": 4},
 "memset": {"total": 4096, "allowed": 2048}}"#;

#[test]
fn loads_a_hand_written_file_and_reports_stale_distances() {
    let t = parse_json(SMALL, "small.json").unwrap();
    assert_eq!(t.cpu_count(), 4);
    assert_eq!(t.distance(0, 2), Some(10));
    assert_eq!(t.distance(0, 1), Some(61), "4 levels * 10 + numa 21");
    assert_eq!(t.mem_allowed_mb(), 2048);
    assert_eq!(stale_distances(SMALL, &t), vec![(0, 1, 99, 61)]);
}

fn error_of(text: &str) -> String {
    parse_json(text, "bad.json").unwrap_err().to_string()
}

#[test]
fn bad_files_name_the_file_and_the_field() {
    let e = error_of(&SMALL.replace(r#""sib_smt": [2]"#, r#""sib_smt": [9]"#));
    assert!(
        e.contains("bad.json") && e.contains("sib_smt") && e.contains("unknown sibling id 9"),
        "{e}"
    );
    let e = error_of(&SMALL.replacen(r#", "3": 0}"#, "}", 1));
    assert!(
        e.contains("cache_level") && e.contains("missing cache level"),
        "{e}"
    );
    let e = error_of(&SMALL.replace(r#""1": [21, 10]"#, r#""1": [21]"#));
    assert!(
        e.contains("numa_distances.1") && e.contains("non-square"),
        "{e}"
    );
    let e = error_of(&SMALL.replace(r#""cpu_id": 3,"#, r#""cpu_id": 2,"#));
    assert!(e.contains("duplicate cpu id 2"), "{e}");
    let e = error_of(&SMALL.replace(r#""memset""#, r#""memzet""#));
    assert!(e.contains("memset") && e.contains("missing"), "{e}");
    let e = error_of("{not json");
    assert!(e.contains("bad.json") && e.contains("invalid JSON"), "{e}");
    let e = error_of(&SMALL.replace(r#""numa_node": 1,"#, r#""numa_node": 5,"#));
    assert!(e.contains("numa_node"), "{e}");
}

#[test]
fn cpu_lists_parse() {
    assert_eq!(parse_cpu_list("0-2,5").unwrap(), vec![0, 1, 2, 5]);
    assert_eq!(parse_cpu_list("").unwrap(), Vec::<u32>::new());
    assert!(parse_cpu_list("3-1").is_err());
    assert!(parse_cpu_list("a").is_err());
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A fake machine: one socket, two NUMA nodes, 2 cores x 2 threads.
fn fake_sysfs() -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("slackvm-sysfs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let cpu = root.join("sys/devices/system/cpu");
    write(&cpu.join("online"), "0-3\n");
    for id in 0..4u32 {
        let core = id % 2;
        let d = cpu.join(format!("cpu{id}"));
        write(&d.join("topology/physical_package_id"), "0\n");
        write(
            &d.join("topology/thread_siblings_list"),
            &format!("{core},{}\n", core + 2),
        );
        write(&d.join("topology/package_cpus_list"), "0-3\n");
        for index in 0..3 {
            write(
                &d.join(format!("cache/index{index}/id")),
                &format!("{core}\n"),
            );
        }
        write(&d.join("cache/index3/id"), "0\n");
    }
    let node = root.join("sys/devices/system/node");
    write(&node.join("node0/cpulist"), "0,2\n");
    write(&node.join("node0/distance"), "10 20\n");
    write(&node.join("node1/cpulist"), "1,3\n");
    write(&node.join("node1/distance"), "20 10\n");
    write(
        &root.join("proc/meminfo"),
        "MemTotal:       16384000 kB\nMemFree: 1 kB\n",
    );
    root
}

#[test]
fn reads_linux_topology_with_and_without_the_socket_quirk() {
    let root = fake_sysfs();
    let opts = SysfsOptions {
        root: root.clone(),
        ..SysfsOptions::default()
    };
    let t = read_linux(&opts).unwrap();
    assert_eq!(t.cpu_count(), 4);
    assert_eq!(t.mem_allowed_mb(), 16000);
    assert_eq!(t.cpus()[1].numa_node, 1, "real NUMA node by default");
    assert_eq!(t.cpus()[0].smt_siblings, vec![2]);
    assert_eq!(t.distance(0, 2), Some(10));
    assert_eq!(t.distance(0, 1), Some(40), "shared L3");
    // Quirk 4: the socket id (0) is used as NUMA node id.
    let quirk = read_linux(&SysfsOptions {
        socket_as_numa: true,
        ..opts.clone()
    })
    .unwrap();
    assert!(quirk.cpus().iter().all(|c| c.numa_node == 0));
    // Exclusion.
    let excl = read_linux(&SysfsOptions {
        excluded: vec![0, 2],
        ..opts
    })
    .unwrap();
    assert_eq!(
        excl.cpus().iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![1, 3]
    );
    assert_eq!(excl.host_cpu_count(), 4);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn missing_sysfs_is_an_error_naming_the_path() {
    let e = read_linux(&SysfsOptions {
        root: "/nonexistent-root".into(),
        ..SysfsOptions::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("/nonexistent-root/sys/devices/system/cpu/online"),
        "{e}"
    );
}
