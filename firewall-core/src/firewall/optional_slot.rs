//! [`OptionalSlot`]: a value that may be installed or removed at run time
//! (the WAF, the shared store), and says whether one is there with one plain
//! load: every request asks, while the value itself changes on a reload.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwapOption;

/// An `ArcSwapOption` with a flag saying whether it holds a value.
///
/// Asking [`is_some`](Self::is_some) is a plain load of one byte,
/// where loading the `ArcSwapOption` itself takes a slot of its debt list
/// (two atomic read-modify-writes). Writers are serialised, so once
/// [`store`](Self::store) returns, the flag says what the slot holds; a
/// request that reads the flag while a value is being installed sees the
/// old state, as if it had come a moment earlier.
#[derive(Debug)]
pub(crate) struct OptionalSlot<T> {
    value: ArcSwapOption<T>,
    held: AtomicBool,
    writing: Mutex<()>,
}

impl<T> Default for OptionalSlot<T> {
    fn default() -> Self {
        Self {
            value: ArcSwapOption::empty(),
            held: AtomicBool::new(false),
            writing: Mutex::new(()),
        }
    }
}

impl<T> OptionalSlot<T> {
    /// Installs `value` (`None`: removes it).
    pub(crate) fn store(&self, value: Option<Arc<T>>) {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let held = value.is_some();
        self.value.store(value);
        self.held.store(held, Ordering::Release);
    }

    /// Whether a value is installed.
    pub(crate) fn is_some(&self) -> bool {
        self.held.load(Ordering::Acquire)
    }

    /// The value installed, if any (no load of the slot when none is).
    pub(crate) fn load_full(&self) -> Option<Arc<T>> {
        if !self.is_some() {
            return None;
        }
        self.value.load_full()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_follows_every_store() {
        let slot = OptionalSlot::<u32>::default();
        assert!(!slot.is_some());
        assert_eq!(slot.load_full(), None);
        slot.store(Some(Arc::new(7)));
        assert!(slot.is_some());
        assert_eq!(slot.load_full().as_deref(), Some(&7));
        slot.store(None);
        assert!(!slot.is_some());
        assert_eq!(slot.load_full(), None);
    }
}
