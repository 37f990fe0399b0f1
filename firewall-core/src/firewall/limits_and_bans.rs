//! The rate limits and the bans of a [`Firewall`]: setting them in code, and
//! the periodic sweep that ends bans on time and forgets idle clients.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::limit_set::{DuplicateLimit, LimitSet};
use super::Firewall;
use crate::ban::{BanPolicy, Bans};
use crate::limit::Limit;

impl Firewall {
    /// The bans: [`Bans::ban`], [`Bans::unban`] and [`Bans::list`] from code.
    /// Without a ban policy ([`set_ban_policy`](Self::set_ban_policy) or a
    /// `[bans]` table) no drop is a strike, and only manual bans refuse.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let fw = firewall_core::Firewall::new("app");
    /// fw.bans().ban("203.0.113.7".parse()?, Duration::from_secs(600), "abuse report")?;
    /// assert_eq!(fw.bans().list()[0].key.to_string(), "203.0.113.7");
    /// assert!(fw.bans().unban("203.0.113.7".parse()?).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bans(&self) -> &Bans {
        &self.shared.bans
    }

    /// Replaces the ban policy; the bans in force stay.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::{ban::BanPolicy, Firewall};
    /// let fw = Firewall::new("app");
    /// fw.set_ban_policy(BanPolicy::new(20, Duration::from_secs(60), Duration::from_secs(600))?);
    /// assert_eq!(fw.bans().policy().strikes(), 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_ban_policy(&self, policy: BanPolicy) {
        self.shared.bans.set_policy(policy);
    }

    /// Builder form of [`set_ban_policy`](Self::set_ban_policy).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::{ban::BanPolicy, Firewall};
    /// let policy = BanPolicy::new(20, Duration::from_secs(60), Duration::from_secs(600))?.allow("10.0.0.0/8")?;
    /// let fw = Firewall::new("app").with_ban_policy(policy);
    /// assert!(fw.bans().policy().is_allowlisted("10.1.2.3".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_ban_policy(self, policy: BanPolicy) -> Self {
        self.set_ban_policy(policy);
        self
    }

    /// The rate limits in force.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::Firewall::new("app").limits().is_empty());
    /// ```
    pub fn limits(&self) -> Arc<LimitSet> {
        self.shared.limits.load_full()
    }

    /// Whether any rate limit is in force (a plain load of a flag): the
    /// middleware asks it before awaiting a shared store.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{limit::Limit, Firewall};
    /// let fw = Firewall::new("app");
    /// assert!(!fw.has_limits());
    /// fw.set_limits(vec![Limit::new("login", "5/60s".parse()?)?])?;
    /// assert!(fw.has_limits());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn has_limits(&self) -> bool {
        !self.shared.limits.is_empty()
    }

    /// Replaces the rate limits. A limit defined exactly as one in force
    /// keeps what its clients have used; the others start afresh.
    ///
    /// # Errors
    ///
    /// [`DuplicateLimit`] when two limits share a name; nothing changes.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{limit::Limit, Firewall};
    /// let fw = Firewall::new("app");
    /// fw.set_limits(vec![
    ///     Limit::new("login", "5/60s".parse()?)?.route("/login")?.method("POST")?,
    ///     Limit::new("api", "100/1s burst 200".parse()?)?.route("/api")?,
    /// ])?;
    /// assert_eq!(fw.limits().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_limits(&self, limits: Vec<Limit>) -> Result<(), DuplicateLimit> {
        let set = LimitSet::new(limits, &self.shared.limits.load())?;
        self.shared.limits.store(Arc::new(set));
        Ok(())
    }

    /// Builder form of [`set_limits`](Self::set_limits).
    ///
    /// # Errors
    ///
    /// [`DuplicateLimit`] when two limits share a name.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{limit::Limit, Firewall};
    /// let fw = Firewall::new("app").with_limits(vec![Limit::new("all", "1000/1s".parse()?)?])?;
    /// assert!(fw.limits().get("all").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_limits(self, limits: Vec<Limit>) -> Result<Self, DuplicateLimit> {
        self.set_limits(limits)?;
        Ok(self)
    }

    /// Ends the bans whose time is up (each logged as `UNBAN`) and, when
    /// `evict` is set, forgets the clients of every limit back at full
    /// quota. Returns how many bans ended. The web integration runs it every
    /// second (see [`sweep_lease`](Self::sweep_lease)); one atomic load when
    /// no ban is due.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// assert_eq!(fw.sweep(true), 0);
    /// ```
    pub fn sweep(&self, evict: bool) -> usize {
        let ended = self.shared.bans.expire().len();
        if evict {
            self.shared.limits.load().evict_idle();
        }
        ended
    }

    /// The right to run the periodic [`sweep`](Self::sweep): `Some` for one
    /// holder at a time, so that several workers sharing this firewall run
    /// one sweep between them. Dropping the lease (the task that held it
    /// ended) lets the next caller take it.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// let lease = fw.sweep_lease().expect("nobody sweeps yet");
    /// assert!(fw.sweep_lease().is_none());
    /// drop(lease);
    /// assert!(fw.sweep_lease().is_some());
    /// ```
    pub fn sweep_lease(&self) -> Option<SweepLease> {
        let taken = self
            .shared
            .sweeping
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        taken.then(|| SweepLease {
            firewall: self.clone(),
        })
    }
}

/// Held by whoever runs a firewall's periodic sweep; see
/// [`Firewall::sweep_lease`].
#[derive(Debug)]
#[must_use = "the lease is released when dropped"]
pub struct SweepLease {
    firewall: Firewall,
}

impl SweepLease {
    /// The firewall to sweep.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// let lease = fw.sweep_lease().unwrap();
    /// assert_eq!(lease.firewall().sweep(false), 0);
    /// ```
    pub fn firewall(&self) -> &Firewall {
        &self.firewall
    }
}

impl Drop for SweepLease {
    fn drop(&mut self) {
        self.firewall
            .shared
            .sweeping
            .store(false, Ordering::Release);
    }
}
