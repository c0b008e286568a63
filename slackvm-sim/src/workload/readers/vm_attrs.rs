//! The attributes a trace gives its VMs ([`VmAttrs`]): one record per VM,
//! or none at all when every VM has the default (the Huawei, event list
//! and monitoring formats), so that reading those formats allocates
//! nothing for them. Looked up by VM number, never zipped with the VMs: a
//! list without records still answers for every VM.

use super::VmAttr;

/// The default attributes (no category, priority, type or CPU summary).
const NONE: VmAttr = VmAttr {
    category: None,
    priority: None,
    vm_type: None,
    cpu: None,
};

/// Attributes per VM, in the order of the trace's VMs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VmAttrs {
    /// One per VM, or empty (every VM has [`NONE`]).
    per_vm: Vec<VmAttr>,
}

impl VmAttrs {
    /// Every VM with the default attributes.
    pub fn none() -> Self {
        VmAttrs::default()
    }

    /// One record per VM (kept empty when all are the default).
    pub fn per_vm(per_vm: Vec<VmAttr>) -> Self {
        if per_vm.iter().all(|a| *a == NONE) {
            return VmAttrs::none();
        }
        VmAttrs { per_vm }
    }

    /// The attributes of VM number `vm` (the default past the records).
    #[inline]
    pub fn get(&self, vm: usize) -> &VmAttr {
        self.per_vm.get(vm).unwrap_or(&NONE)
    }

    /// True when every VM has the default attributes.
    pub fn all_default(&self) -> bool {
        self.per_vm.is_empty()
    }

    /// The records as stored (empty when all are the default).
    pub fn stored(&self) -> &[VmAttr] {
        &self.per_vm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_records_answer_the_default_for_every_vm() {
        let a = VmAttrs::per_vm(vec![VmAttr::default(); 3]);
        assert!(a.all_default() && a.stored().is_empty());
        assert_eq!(*a.get(7), VmAttr::default());
        let p = VmAttr {
            priority: Some(1),
            ..VmAttr::default()
        };
        let b = VmAttrs::per_vm(vec![VmAttr::default(), p]);
        assert_eq!((b.get(1).priority, b.get(0).priority), (Some(1), None));
        assert_eq!(b.stored().len(), 2);
    }
}
