//! The default output rows: what THIS host would have recorded. A VM has
//! records only while it is hosted (a refused VM has none), with its usage
//! from the input (fraction of its own vCPUs or memory). A CPU vNode's
//! `val` is CPUs busy: the sum over its hosted VMs of usage x vCPUs,
//! capped at the CPUs it holds; the uncapped sum is its demand (figure 3,
//! shortage). The memory pool's `val` is the used fraction of the pool;
//! global records are the busy (used) fraction of the host. Values are
//! rounded to 4 decimals, as the trace generator writes them. A missing
//! usage stays `None`, counts as 0 and is counted in the summary.

use super::replayer::Replayer;
use super::summary::{record_series, SeriesPoint};
use super::view::VNodeView;
use super::ReplayError;
use crate::pyfmt::round4;
use crate::trace::{global_row, Res, TraceWriter, VmId};

/// A vNode's hosted VMs at one timestamp.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Measure {
    /// Sum of usage x size (vCPUs or MB) over the VMs with a usage.
    demand: f64,
    /// VMs with a usage.
    known: usize,
}

impl Measure {
    /// The record's `val`: `demand` capped at `size`, over `per`; `None`
    /// when the vNode hosts VMs and none has a usage.
    fn val(&self, vms: usize, size: u64, per: f64) -> Option<f64> {
        if vms > 0 && self.known == 0 {
            return None;
        }
        let used = self.demand.min(size as f64);
        Some(if per > 0.0 { round4(used / per) } else { 0.0 })
    }
}

impl Replayer<'_> {
    /// One resource's rows at `tmp`, recomputed from the hosted VMs.
    pub(super) fn emit_recomputed(
        &mut self,
        tmp: u64,
        res: Res,
        views: &[VNodeView],
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        let i = res.index();
        let measures: Vec<Measure> = views.iter().map(|v| self.measure(res, v)).collect();
        let topo = self.host.topology();
        let capacity = match res {
            Res::Cpu => topo.cpu_count() as f64,
            Res::Mem => topo.mem_allowed_mb() as f64,
        };
        let hosted: usize = views.iter().map(|v| v.vms.len()).sum();
        let total = Measure {
            demand: views
                .iter()
                .zip(&measures)
                .map(|(v, m)| m.demand.min(v.snap.size as f64))
                .sum(),
            known: measures.iter().map(|m| m.known).sum(),
        };
        let global = total.val(hosted, u64::MAX, capacity);
        self.put(out, &global_row(tmp, res, global, capacity))?;
        for (order, (v, m)) in views.iter().zip(&measures).enumerate() {
            let per = match res {
                Res::Cpu => 1.0,
                Res::Mem => v.snap.size as f64,
            };
            let val = m.val(v.vms.len(), v.snap.size, per);
            if res == Res::Cpu {
                self.record_cpu(order, v, tmp, val, m.demand);
            }
            self.sizes
                .track(order + i * 1000, &v.snap.subset, res.as_str(), v.snap.size);
            self.put(out, &v.snap.subset_row(tmp, val))?;
            self.emit_hosted(tmp, res, v, out)?;
            self.note_unreported(res, v);
        }
        Ok(())
    }

    fn measure(&self, res: Res, v: &VNodeView) -> Measure {
        let mut m = Measure::default();
        for &vm in &v.vms {
            if let (Some(u), Some(size)) =
                (self.step.usage(res.index(), vm), self.vm_config(vm, res))
            {
                m.demand += u * size;
                m.known += 1;
            }
        }
        m
    }

    fn record_cpu(
        &mut self,
        order: usize,
        v: &VNodeView,
        tmp: u64,
        busy: Option<f64>,
        demand: f64,
    ) {
        let point = SeriesPoint {
            time_s: tmp,
            held: v.snap.size,
            busy,
            demand: Some(demand),
        };
        record_series(&mut self.series, order, v.snap.level, point);
        self.shortage
            .sample(&v.snap.oc, v.vms.len() as u64, demand, v.snap.size);
    }

    /// The records of the VMs the vNode hosts, in its order.
    fn emit_hosted(
        &mut self,
        tmp: u64,
        res: Res,
        v: &VNodeView,
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        for &vm in &v.vms {
            let usage = self.step.usage(res.index(), vm);
            let trace = &self.learnt.vms[vm as usize];
            if usage.is_none() {
                let level = trace
                    .level
                    .map_or_else(|| "None".into(), crate::pyfmt::float);
                self.shortage.missing(&level, res == Res::Cpu);
            }
            let id = VmId {
                uuid: Some(&trace.uuid),
                name: Some(&trace.name),
            };
            let row = v.snap.vm_row(tmp, usage, self.vm_config(vm, res), id);
            self.put(out, &row)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{replay_rows, vm_rows};
    use super::*;
    use crate::host::Quirks;

    fn step(tmp: u64, vms: &[[String; 2]], subset: &str) -> Vec<String> {
        let mut rows = vec![format!(
            "{tmp}\tglobal\tcpu\t0.9\t8\tNone\tNone\tNone\tNone\tNone\tNone"
        )];
        rows.push(format!(
            "{tmp}\tsubset\tcpu\t7.5\t8\t{subset}\tNone\tNone\t1.0\t0\t{{}}"
        ));
        rows.extend(vms.iter().map(|v| v[0].clone()));
        rows.push(format!(
            "{tmp}\tglobal\tmem\t0.9\t31776\tNone\tNone\tNone\tNone\tNone\tNone"
        ));
        rows.extend(vms.iter().map(|v| v[1].clone()));
        rows
    }

    #[test]
    fn a_refused_vm_has_no_records() {
        // laptop-8: a (6 vCPUs, 1:1, half busy) is hosted; b (4 vCPUs) is
        // refused: it has no record, and nothing of the input's 7.5 busy CPUs stays.
        let mut rows = Vec::new();
        for tmp in [0, 15] {
            let vms = [
                vm_rows(tmp, "a", 6, "1.0", 1024, "0.5"),
                vm_rows(tmp, "b", 4, "1.0", 1024, "0.25"),
            ];
            rows.extend(step(tmp, &vms, "subset-1.0"));
        }
        let (out, outcome) = replay_rows("laptop-8", Quirks::fixed(), &rows);
        assert_eq!(out.len(), 12, "{out:#?}");
        assert!(out.iter().all(|l| !l.contains("\tb\t")), "{out:#?}");
        // 3 CPUs busy of 8; a's vNode holds 6 CPUs, 3 busy.
        assert_eq!(
            out[0],
            "0\tglobal\tcpu\t0.375\t8\tNone\tNone\tNone\tNone\tNone\tNone"
        );
        assert!(
            out[1].starts_with("0\tsubset\tcpu\t3.0\t6\tsubset-1.0\tNone\tNone\t1.0\t0\t{"),
            "{}",
            out[1]
        );
        assert_eq!(
            out[2],
            "0\tvm\tcpu\t0.5\t6\tsubset-1.0\ta\ta\t1.0\tNone\tNone"
        );
        // 512 MB used of 31776 (0.0161) and of the 1024-MB pool (0.5).
        assert_eq!(
            out[3],
            "0\tglobal\tmem\t0.0161\t31776\tNone\tNone\tNone\tNone\tNone\tNone"
        );
        assert!(
            out[4].starts_with("0\tsubset\tmem\t0.5\t1024\tsubset-1\t"),
            "{}",
            out[4]
        );
        assert_eq!(
            out[5],
            "0\tvm\tmem\t0.5\t1024\tsubset-1\ta\ta\t1\tNone\tNone"
        );
        let short = &outcome.summary.shortage["1.0"];
        assert_eq!(
            (short.vm_s, short.vm_s_in_shortage, short.peak_time_s),
            (30, 0, None)
        );
        // The prototype copies: b's records stay.
        let (copied, _) = replay_rows("laptop-8", Quirks::prototype(), &rows);
        assert!(copied.iter().any(|l| l.contains("\tb\t")));
    }

    #[test]
    fn a_smaller_vnode_than_the_input_s_is_short_of_cpus() {
        // The input says the 2:1 vNode held 8 CPUs, 7.5 busy. Here c and d
        // (2 vCPUs each, fully busy) get a 2:1 vNode of 4 / 2 = 2 CPUs:
        // demand 4, busy 2 (capped), short by 2 CPUs (half the demand).
        let mut rows = Vec::new();
        for tmp in [0, 10] {
            let vms = [
                vm_rows(tmp, "c", 2, "2.0", 1024, "1.0"),
                vm_rows(tmp, "d", 2, "2.0", 1024, "1.0"),
            ];
            rows.extend(step(tmp, &vms, "subset-2.0"));
        }
        let (out, outcome) = replay_rows("laptop-8", Quirks::fixed(), &rows);
        assert_eq!(
            out[0],
            "0\tglobal\tcpu\t0.25\t8\tNone\tNone\tNone\tNone\tNone\tNone"
        );
        assert!(
            out[1].starts_with("0\tsubset\tcpu\t2.0\t2\tsubset-2.0\t"),
            "{}",
            out[1]
        );
        let p = outcome.series[0].iter_points().next().expect("a point");
        assert_eq!((p.held, p.busy, p.demand), (2, Some(2.0), Some(4.0)));
        let s = &outcome.summary.shortage["2.0"];
        assert_eq!(
            (s.vm_s, s.vm_s_in_shortage, s.share_in_shortage),
            (40, 40, 1.0)
        );
        assert_eq!((s.mean_fraction, s.p99_fraction), (0.5, 0.5));
        assert_eq!((s.peak_cpus, s.peak_time_s), (2.0, Some(0)));
    }

    #[test]
    fn a_missing_usage_stays_none_and_is_counted() {
        let rows = step(0, &[vm_rows(0, "e", 2, "1.0", 1024, "None")], "subset-1.0");
        let (out, outcome) = replay_rows("laptop-8", Quirks::fixed(), &rows);
        assert_eq!(
            out[0],
            "0\tglobal\tcpu\tNone\t8\tNone\tNone\tNone\tNone\tNone\tNone"
        );
        assert!(
            out[1].starts_with("0\tsubset\tcpu\tNone\t2\t"),
            "{}",
            out[1]
        );
        assert_eq!(
            out[2],
            "0\tvm\tcpu\tNone\t2\tsubset-1.0\te\te\t1.0\tNone\tNone"
        );
        let s = &outcome.summary.shortage["1.0"];
        assert_eq!((s.missing_cpu_usage, s.missing_mem_usage), (1, 0));
    }

    #[test]
    fn values_are_capped_rounded_and_none_when_nothing_is_known() {
        let m = Measure {
            demand: 3.123456,
            known: 2,
        };
        assert_eq!(m.val(2, 2, 1.0), Some(2.0));
        assert_eq!(m.val(2, 8, 1.0), Some(3.1235));
        assert_eq!(m.val(2, 8, 4.0), Some(0.7809));
        assert_eq!(Measure::default().val(3, 8, 1.0), None);
        assert_eq!(Measure::default().val(0, 0, 0.0), Some(0.0));
    }
}
