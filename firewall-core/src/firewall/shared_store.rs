//! The shared store of a [`Firewall`]: the `[store]` setting read from the
//! rules file, and the store attached once connected (see [`crate::store`]).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwapOption;

use super::optional_slot::OptionalSlot;
use super::Firewall;
use crate::ban::Bans;
use crate::store::{SharedStore, StoreConfig, StoreState};

/// No connection asked for, one being made, one made (or given up).
const IDLE: u8 = 0;
const CONNECTING: u8 = 1;
const DONE: u8 = 2;

/// The store attached to a firewall, the `[store]` setting, and whether a
/// connection is being made.
#[derive(Debug, Default)]
pub(super) struct StoreSlot {
    attached: OptionalSlot<Attached>,
    config: ArcSwapOption<StoreConfig>,
    connect: AtomicU8,
}

/// `Arc<dyn SharedStore>` behind one more pointer, as `ArcSwap` holds sized types.
#[derive(Debug)]
struct Attached(Arc<dyn SharedStore>);

impl Firewall {
    /// Asks `store` for every rate-limit decision and counts strikes there,
    /// instead of in process; bans are still checked in [`bans`](Self::bans),
    /// which the store keeps current. `firewall_store::share` calls it.
    ///
    /// # Examples
    ///
    /// See [`SharedStore`].
    pub fn attach_store(&self, store: Arc<dyn SharedStore>) {
        self.shared
            .store
            .attached
            .store(Some(Arc::new(Attached(store))));
    }

    /// Goes back to limits and strikes in process.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// fw.detach_store();
    /// assert!(!fw.has_shared_store());
    /// ```
    pub fn detach_store(&self) {
        self.shared.store.attached.store(None);
    }

    /// Whether a shared store decides the limits: a plain load of a flag.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!firewall_core::Firewall::new("app").has_shared_store());
    /// ```
    pub fn has_shared_store(&self) -> bool {
        self.shared.store.attached.is_some()
    }

    /// The store attached, if any.
    pub(super) fn shared_store(&self) -> Option<Arc<dyn SharedStore>> {
        self.shared
            .store
            .attached
            .load_full()
            .map(|a| Arc::clone(&a.0))
    }

    /// What the monitors show of the store: `in-process` without one.
    ///
    /// # Examples
    ///
    /// ```
    /// let state = firewall_core::Firewall::new("app").store_state();
    /// assert_eq!((state.backend, state.connected), ("in-process", true));
    /// ```
    pub fn store_state(&self) -> StoreState {
        match self.shared.store.attached.load_full() {
            Some(attached) => attached.0.state(),
            None => StoreState::in_process(),
        }
    }

    /// The `[store]` setting of the rules file (or set in code), if it
    /// names a Redis URL: what the web integration connects to.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("rules.toml");
    /// std::fs::write(&path, "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 5000\n\
    ///     src_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n[store]\nredis = \"redis://127.0.0.1:6379/0\"\n")?;
    /// let fw = firewall_core::Firewall::new("shop");
    /// fw.reload_file(&path)?;
    /// assert_eq!(fw.store_config().unwrap().prefix_value(), "shop");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn store_config(&self) -> Option<Arc<StoreConfig>> {
        self.shared.store.config.load_full()
    }

    /// Sets (or clears) the store setting. A store already attached stays
    /// until the application restarts; a changed setting is logged.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::StoreConfig;
    /// let fw = firewall_core::Firewall::new("shop");
    /// fw.set_store_config(Some(StoreConfig::redis("redis://127.0.0.1:6379/0")?));
    /// assert!(fw.store_config().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_store_config(&self, config: Option<StoreConfig>) {
        let old = self.shared.store.config.load_full();
        if old.as_deref() != config.as_ref() && self.has_shared_store() {
            log::warn!(
                "Firewall: the [store] setting changed; the store in use stays until the application restarts"
            );
        }
        self.shared.store.config.store(config.map(Arc::new));
    }

    /// The firewall's bans, shared: a store keeps them as its local copy.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// assert!(std::ptr::eq(&*fw.bans_handle(), fw.bans()));
    /// ```
    pub fn bans_handle(&self) -> Arc<Bans> {
        Arc::clone(&self.shared.bans)
    }

    /// Claims the right to connect the store of [`store_config`](Self::store_config):
    /// `true` for the first caller only. The caller then connects, attaches
    /// and calls [`store_connect_done`](Self::store_connect_done); the others
    /// wait while [`is_store_connecting`](Self::is_store_connecting).
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// assert!(fw.claim_store_connect());
    /// assert!(!fw.claim_store_connect());
    /// assert!(fw.is_store_connecting());
    /// fw.store_connect_done();
    /// assert!(!fw.is_store_connecting());
    /// ```
    pub fn claim_store_connect(&self) -> bool {
        self.shared
            .store
            .connect
            .compare_exchange(IDLE, CONNECTING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Ends the claim of [`claim_store_connect`](Self::claim_store_connect).
    ///
    /// # Examples
    ///
    /// See [`claim_store_connect`](Self::claim_store_connect).
    pub fn store_connect_done(&self) {
        self.shared.store.connect.store(DONE, Ordering::Release);
    }

    /// Whether a store is being connected.
    ///
    /// # Examples
    ///
    /// See [`claim_store_connect`](Self::claim_store_connect).
    pub fn is_store_connecting(&self) -> bool {
        self.shared.store.connect.load(Ordering::Acquire) == CONNECTING
    }
}
