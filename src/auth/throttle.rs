//! Failed logins per client address, in this node's memory: too many in the window and the
//! address gets 429 until the window has passed, before any database work or password hashing.
//! Only failures count, so a shift of officers behind one post's NAT signing in together is
//! never slowed. It is the cheap first gate: `service::sessions::login` then counts the
//! address's failures recorded by every node in the database, so guesses spread over several
//! nodes meet the same limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failures per address in a fixed window.
#[derive(Debug)]
pub struct AddressThrottle {
    limit: u32,
    window: Duration,
    counts: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl AddressThrottle {
    /// `limit` failures per `window` per address.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Failures an address may make per window.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Counts an attempt from `addr` as a failure before its password is checked, in one
    /// step under the lock, so parallel attempts cannot all slip under the limit; answers
    /// `Err(seconds to wait)` (counting nothing) when the address has used up its failures.
    /// A successful sign-in takes its count back with [`AddressThrottle::forgive`].
    pub fn try_attempt(&self, addr: IpAddr, now: Instant) -> Result<(), u64> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.len() > 100_000 {
            // Bound memory under a spray from many addresses: forget expired windows.
            let window = self.window;
            counts.retain(|_, (start, _)| now.saturating_duration_since(*start) < window);
        }
        let entry = counts.entry(addr).or_insert((now, 0));
        let elapsed = now.saturating_duration_since(entry.0);
        if elapsed >= self.window {
            *entry = (now, 0);
        } else if entry.1 >= self.limit {
            return Err((self.window - elapsed).as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Takes back one attempt counted by [`AddressThrottle::try_attempt`] (it succeeded, or
    /// its password could not be checked).
    pub fn forgive(&self, addr: IpAddr) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = counts.get_mut(&addr) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_its_limit_until_the_window_passes() {
        let t = AddressThrottle::new(3, Duration::from_secs(60));
        let addr: IpAddr = "10.1.2.3".parse().unwrap();
        let other: IpAddr = "10.1.2.4".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.try_attempt(addr, t0), Ok(()));
        }
        assert!(t.try_attempt(addr, t0).is_err());
        assert_eq!(
            t.try_attempt(other, t0),
            Ok(()),
            "other addresses are unaffected"
        );
        assert_eq!(t.try_attempt(addr, t0 + Duration::from_secs(61)), Ok(()));
    }

    #[test]
    fn a_forgiven_attempt_does_not_count() {
        let t = AddressThrottle::new(2, Duration::from_secs(60));
        let addr: IpAddr = "10.1.2.3".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(t.try_attempt(addr, t0), Ok(()));
            t.forgive(addr);
        }
        assert_eq!(t.try_attempt(addr, t0), Ok(()));
        assert_eq!(t.try_attempt(addr, t0), Ok(()));
        assert!(t.try_attempt(addr, t0).is_err());
    }
}
