//! A failing hypervisor call rolls the scheduler back: an in-process local
//! daemon (router bound to 127.0.0.1:0) over a backend that fails on
//! demand.

mod common;

use common::{get, success};
use slackvm_live::hypervisor::memory::MemoryBackend;
use slackvm_live::hypervisor::{FoundVm, Hypervisor, HypervisorError, VmSpec, VmUsage};
use slackvm_live::local::{self, LocalCore, LocalOptions};
use slackvm_sim::{Host, HostOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The memory backend, failing `start` for names starting with `bad`,
/// `stop` for names starting with `stuck`, and `pin` while `fail_pin` is set.
struct Flaky {
    inner: MemoryBackend,
    fail_pin: Arc<AtomicBool>,
    running: Arc<Mutex<Vec<String>>>,
}

fn refuse(operation: &'static str, vm: &str) -> HypervisorError {
    HypervisorError::Backend {
        operation,
        vm: vm.to_string(),
        message: "injected failure".into(),
    }
}

impl Hypervisor for Flaky {
    fn kind(&self) -> &'static str {
        "flaky"
    }
    fn start(&self, spec: &VmSpec, cpus: &[u32]) -> Result<(), HypervisorError> {
        if spec.name.starts_with("bad") {
            return Err(refuse("start", &spec.name));
        }
        self.inner.start(spec, cpus)?;
        self.running.lock().unwrap().push(spec.name.clone());
        Ok(())
    }
    fn pin(&self, name: &str, cpus: &[u32]) -> Result<(), HypervisorError> {
        if self.fail_pin.load(Ordering::SeqCst) {
            return Err(refuse("pin", name));
        }
        self.inner.pin(name, cpus)
    }
    fn stop(&self, name: &str) -> Result<(), HypervisorError> {
        if name.starts_with("stuck") {
            return Err(refuse("stop", name));
        }
        self.inner.stop(name)?;
        self.running.lock().unwrap().retain(|n| n != name);
        Ok(())
    }
    fn existing(&self) -> Result<Vec<FoundVm>, HypervisorError> {
        self.inner.existing()
    }
    fn usage(&self, name: &str) -> Result<VmUsage, HypervisorError> {
        self.inner.usage(name)
    }
    fn uuid(&self, name: &str) -> Option<String> {
        self.inner.uuid(name)
    }
}

#[tokio::test]
async fn failed_hypervisor_calls_roll_the_scheduler_back() {
    let fail_pin = Arc::new(AtomicBool::new(false));
    let running = Arc::new(Mutex::new(Vec::new()));
    let backend = Flaky {
        inner: MemoryBackend::new(7, None).unwrap(),
        fail_pin: fail_pin.clone(),
        running: running.clone(),
    };
    let topo = Arc::new(slackvm_sim::topology::preset("host-32").unwrap());
    let core = LocalCore::new(Host::new(topo, HostOptions::default()), Box::new(backend));
    let (app, _daemon) = local::router(core, LocalOptions::default());
    let (listener, addr) = slackvm_live::server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    tokio::spawn(slackvm_live::server::serve(listener, app));
    let addr = addr.to_string();

    assert!(success(
        &get(&addr, "/deploy?name=a&cpu=2&mem=1&oc=2").await.1
    ));
    assert!(success(
        &get(&addr, "/deploy?name=stuck-1&cpu=1&mem=1&oc=1").await.1
    ));
    let snapshot = || async {
        (
            get(&addr, "/status").await.1,
            get(&addr, "/pinning").await.1,
        )
    };
    let before = snapshot().await;

    let (code, v) = get(&addr, "/deploy?name=bad-1&cpu=4&mem=2&oc=3").await;
    assert_eq!((code, success(&v)), (500, false), "{v}");
    assert!(v["reason"].as_str().unwrap().contains("injected failure"));
    assert_eq!(snapshot().await, before, "failed start rolled back");

    // Re-pinning the oversubscribed VM `a` fails: the new VM is stopped and
    // the scheduler restored.
    fail_pin.store(true, Ordering::SeqCst);
    let (code, v) = get(&addr, "/deploy?name=c&cpu=4&mem=2&oc=1").await;
    assert_eq!((code, success(&v)), (500, false), "{v}");
    assert_eq!(snapshot().await, before, "failed re-pin rolled back");
    assert_eq!(
        *running.lock().unwrap(),
        vec!["a".to_string(), "stuck-1".to_string()]
    );
    fail_pin.store(false, Ordering::SeqCst);

    let (code, v) = get(&addr, "/remove?name=stuck-1").await;
    assert_eq!((code, success(&v)), (500, false), "{v}");
    assert_eq!(snapshot().await, before, "failed stop rolled back");

    assert!(success(
        &get(&addr, "/deploy?name=c&cpu=4&mem=2&oc=1").await.1
    ));
    assert_eq!(
        get(&addr, "/listvm").await.1,
        serde_json::json!(["a", "c", "stuck-1"])
    );
}
