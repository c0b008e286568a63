//! Tests of the level rules.

use super::*;
use crate::workload::events::{EventList, VmSpec};
use crate::workload::read_trace;
use crate::workload::readers::testing::sample;
use crate::workload::readers::{ReadOptions, ReadReport, VmAttr, VmAttrs};

fn trace(format: TraceFormat, shapes: &[(u32, u64)], attrs: Vec<VmAttr>) -> TraceRead {
    let vms: Vec<VmSpec> = shapes
        .iter()
        .enumerate()
        .map(|(i, &(c, gb))| VmSpec {
            id: format!("v{i}"),
            vcpus: c,
            mem_mb: gb * 1024,
            level: Level::ONE,
            profile: None,
        })
        .collect();
    let spans = vec![(0, None); vms.len()];
    let attrs = VmAttrs::per_vm(attrs);
    TraceRead {
        format,
        list: EventList::from_spans(vms, &spans),
        attrs,
        report: ReadReport::default(),
        usage: None,
    }
}

fn levels(t: &TraceRead) -> Vec<f64> {
    t.list.vms.iter().map(|v| v.level.get()).collect()
}

#[test]
fn huawei_shared_gives_exact_seeded_counts_per_flavour() {
    let mut shapes = vec![(2, 4); 100];
    shapes.extend([(64, 128); 10]);
    shapes.extend([(1, 1); 3]);
    let rule = LevelRule::parse("huawei-shared", Level::THREE).unwrap();
    let mut a = trace(TraceFormat::Huawei, &shapes, vec![]);
    let counts = rule.apply(&mut a, 7).unwrap();
    // 65% of 100 2U4G, round(0.9 x 3) = 3 of the 1U1G; 64U128G dedicated.
    assert_eq!(counts, [35 + 10, 0, 65 + 3]);
    assert!(levels(&a)[100..110].iter().all(|&l| l == 1.0));
    let mut b = trace(TraceFormat::Huawei, &shapes, vec![]);
    rule.apply(&mut b, 7).unwrap();
    assert_eq!(levels(&a), levels(&b));
    let mut c = trace(TraceFormat::Huawei, &shapes, vec![]);
    assert_eq!(rule.apply(&mut c, 8).unwrap(), counts);
    assert_ne!(levels(&a), levels(&c), "another seed draws other VMs");
    let two = LevelRule::parse("huawei-shared", Level::TWO).unwrap();
    assert_eq!(two.apply(&mut c, 8).unwrap(), [45, 68, 0]);
    assert_eq!(two.name(), "huawei-shared-2:1");
}

#[test]
fn azure_category_on_the_v2_sample_with_overrides() {
    let read = |rule: &str| {
        let mut t = read_trace(
            &sample("azure_vmtable_v2.csv"),
            TraceFormat::AzureVmtable,
            &ReadOptions::default(),
        )
        .unwrap();
        LevelRule::parse(rule, Level::THREE)
            .unwrap()
            .apply(&mut t, 0)
            .unwrap();
        levels(&t)
    };
    // Interactive, Unkown, Delay-insensitive.
    assert_eq!(read("azure-category"), vec![1.0, 2.0, 3.0]);
    assert_eq!(
        read("azure-category:unknown=3,interactive=2:1"),
        vec![2.0, 3.0, 3.0]
    );
    let e = LevelRule::parse("azure-category:batch=1", Level::THREE).unwrap_err();
    assert!(e.to_string().contains("`batch`"), "{e}");
}

#[test]
fn priority_and_flavor_files() {
    let attrs = |p: i64, t: i64| VmAttr {
        priority: Some(p),
        vm_type: Some(t),
        ..VmAttr::default()
    };
    let mut t = trace(
        TraceFormat::AzurePacking,
        &[(2, 4), (4, 8), (8, 16)],
        vec![attrs(0, 5), attrs(1, 6), attrs(1, 5)],
    );
    LevelRule::parse("priority", Level::THREE)
        .unwrap()
        .apply(&mut t, 0)
        .unwrap();
    assert_eq!(levels(&t), vec![1.0, 3.0, 3.0]);
    LevelRule::parse("priority:1=2", Level::THREE)
        .unwrap()
        .apply(&mut t, 0)
        .unwrap();
    assert_eq!(levels(&t), vec![1.0, 2.0, 2.0]);
    let flavors = sample("flavors.csv");
    let rule = LevelRule::parse(&format!("flavor:{}", flavors.display()), Level::THREE).unwrap();
    rule.apply(&mut t, 0).unwrap();
    assert_eq!(levels(&t), vec![3.0, 2.0, 1.0]);
    let dir = crate::workload::readers::testing::temp_dir("flavor");
    let f = dir.join("types.csv");
    std::fs::write(&f, "vm_type,level\n5,2\n").unwrap();
    let rule = LevelRule::parse(&format!("flavor:{}", f.display()), Level::THREE).unwrap();
    let e = rule.apply(&mut t, 0).unwrap_err().to_string();
    assert!(e.contains("VM `v1` (6) matches no row"), "{e}");
    let mut h = trace(TraceFormat::Huawei, &[(2, 4)], vec![]);
    let e = rule.apply(&mut h, 0).unwrap_err().to_string();
    assert!(e.contains("does not apply to the huawei format"), "{e}");
    std::fs::write(&f, "vm_type,level\n5,4\n").unwrap();
    let e = LevelRule::parse(&format!("flavor:{}", f.display()), Level::THREE).unwrap_err();
    assert!(e.to_string().contains("line 2, column 2 (`level`)"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rules_refuse_formats_they_cannot_apply_to() {
    let cases = [
        ("huawei-shared", TraceFormat::AzureVmtable),
        ("azure-category", TraceFormat::Huawei),
        ("priority", TraceFormat::Events),
        ("file", TraceFormat::Huawei),
    ];
    for (rule, format) in cases {
        let mut t = trace(format, &[(2, 4)], vec![]);
        let e = LevelRule::parse(rule, Level::THREE)
            .unwrap()
            .apply(&mut t, 0)
            .unwrap_err();
        assert!(matches!(e, RuleError::NotForFormat { .. }), "{rule}: {e}");
    }
    let mut t = trace(TraceFormat::Events, &[(2, 4); 4], vec![]);
    let counts = LevelRule::parse("50/0/50", Level::THREE)
        .unwrap()
        .apply(&mut t, 1)
        .unwrap();
    assert_eq!(counts, [2, 0, 2]);
    assert!(LevelRule::parse("50/0/40", Level::THREE).is_err());
    assert!(LevelRule::parse("gold", Level::THREE)
        .unwrap_err()
        .to_string()
        .contains("unknown rule `gold`"));
    assert_eq!(parse_level("3:1"), Some(Level::THREE));
    assert_eq!(parse_level("2.5"), None);
}
