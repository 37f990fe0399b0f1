//! The named rate limits a [`Firewall`](super::Firewall) applies: each with
//! its per-client state, kept across a reload when the limit is unchanged.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::{ArcSwap, Guard};

use crate::limit::{Limit, RateLimiter};
use crate::waf::RoutePath;

/// Two limits with one name.
///
/// # Examples
///
/// ```
/// use firewall_core::{limit::{Limit, Quota}, Firewall};
/// let login = Limit::new("login", Quota::per_minute(5)?)?;
/// let err = Firewall::new("app").set_limits(vec![login.clone(), login]).unwrap_err();
/// assert_eq!(err.to_string(), "limit `login` is defined twice (#1 and #2)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("limit `{name}` is defined twice (#{} and #{})", first + 1, second + 1)]
pub struct DuplicateLimit {
    /// The name.
    pub name: String,
    /// Position (0-based) of the first definition.
    pub first: usize,
    /// Position (0-based) of the second.
    pub second: usize,
}

/// The limits in force, in the order given: each a [`RateLimiter`] (the
/// limit and its per-client state).
///
/// # Examples
///
/// ```
/// use firewall_core::{limit::{Limit, Quota}, Firewall};
/// let fw = Firewall::new("app")
///     .with_limits(vec![Limit::new("login", "5/60s".parse()?)?.route("/login")?])?;
/// let limits = fw.limits();
/// assert_eq!(limits.len(), 1);
/// assert_eq!(limits.get("login").unwrap().limit().route_prefix(), "/login");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct LimitSet {
    limiters: Vec<Arc<RateLimiter>>,
}

impl LimitSet {
    /// The limits `limits`, reusing the state of those in `old` that are
    /// defined exactly the same (same name, route, methods, quota, keys).
    pub(crate) fn new(limits: Vec<Limit>, old: &LimitSet) -> Result<Self, DuplicateLimit> {
        for (second, limit) in limits.iter().enumerate() {
            if let Some(first) = limits[..second]
                .iter()
                .position(|l| l.name() == limit.name())
            {
                return Err(DuplicateLimit {
                    name: limit.name().to_owned(),
                    first,
                    second,
                });
            }
        }
        let limiters = limits
            .into_iter()
            .map(
                |limit| match old.limiters.iter().find(|l| *l.limit() == limit) {
                    Some(kept) => kept.clone(),
                    None => Arc::new(RateLimiter::new(limit)),
                },
            )
            .collect();
        Ok(Self { limiters })
    }

    /// The limiter of the limit named `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::Firewall::new("app").limits().get("login").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Arc<RateLimiter>> {
        self.limiters.iter().find(|l| l.limit().name() == name)
    }

    /// Every limiter, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Firewall::new("app").limits().iter().count(), 0);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &Arc<RateLimiter>> {
        self.limiters.iter()
    }

    /// How many limits.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Firewall::new("app").limits().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.limiters.len()
    }

    /// Whether there is no limit.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::Firewall::new("app").limits().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.limiters.is_empty()
    }

    /// The limiters that count a request with this method and path (as
    /// received, escapes and all): those whose route holds the raw path or
    /// any reading of it once decoded and resolved, as the router may read it.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{limit::Limit, Firewall};
    /// let fw = Firewall::new("app")
    ///     .with_limits(vec![Limit::new("login", "5/60s".parse()?)?.route("/login")?])?;
    /// assert_eq!(fw.limits().covering("POST", "/static/..%2flogin").count(), 1);
    /// assert_eq!(fw.limits().covering("POST", "/loginx").count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn covering<'a>(
        &'a self,
        method: &'a str,
        raw_path: &'a str,
    ) -> impl Iterator<Item = &'a Arc<RateLimiter>> + 'a {
        // Resolved only when there is a limit to ask.
        let mut path: Option<RoutePath<'a>> = None;
        self.limiters.iter().filter(move |limiter| {
            let limit = limiter.limit();
            if limit.covers(method, raw_path, raw_path) {
                return true;
            }
            let path = path.get_or_insert_with(|| RoutePath::new(raw_path));
            path.readings().any(|p| limit.covers(method, raw_path, p))
        })
    }

    /// Forgets the clients of every limit back at full quota; returns how
    /// many went.
    pub(crate) fn evict_idle(&self) -> usize {
        self.limiters.iter().map(|l| l.evict_idle()).sum()
    }
}

/// The limits in force, and a flag saying whether there are any, written
/// after them under a writers' lock: a request on a firewall without limits
/// learns it with a plain load instead of loading the set (a slot of
/// arc-swap's debt list, two atomic read-modify-writes). A request that
/// reads the flag while limits are being installed sees the old state, as
/// if it had come a moment earlier.
#[derive(Debug, Default)]
pub(crate) struct LimitSlot {
    set: ArcSwap<LimitSet>,
    any: AtomicBool,
    /// Bumped after each set is installed (see [`generation`](Self::generation)).
    generation: AtomicU64,
    writing: Mutex<()>,
}

impl LimitSlot {
    /// Installs `set`.
    pub(crate) fn store(&self, set: Arc<LimitSet>) {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let any = !set.is_empty();
        self.set.store(set);
        self.any.store(any, Ordering::Release);
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// How many sets were installed: changes after each one is in force,
    /// so a worker holding a set checks it is current with a plain load.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether no limit is in force.
    pub(crate) fn is_empty(&self) -> bool {
        !self.any.load(Ordering::Acquire)
    }

    /// The limits in force, for the time of one request.
    pub(crate) fn load(&self) -> Guard<Arc<LimitSet>> {
        self.set.load()
    }

    /// The limits in force.
    pub(crate) fn load_full(&self) -> Arc<LimitSet> {
        self.set.load_full()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limit::Quota;

    #[test]
    fn the_flag_follows_every_store() {
        let slot = LimitSlot::default();
        assert!(slot.is_empty());
        let one = Limit::new("one", Quota::per_minute(1).unwrap()).unwrap();
        slot.store(Arc::new(LimitSet::new(vec![one], &slot.load()).unwrap()));
        assert!(!slot.is_empty());
        assert_eq!(slot.load_full().len(), 1);
        slot.store(Arc::new(LimitSet::default()));
        assert!(slot.is_empty());
    }
}
