//! Failed logins per client address, in memory: too many in the window and the address gets
//! 429 until the window has passed. Only failures count, so a shift of officers behind one
//! post's NAT signing in together is never slowed.

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

    /// `Some(seconds to wait)` when the address has used up its failures.
    pub fn blocked_for(&self, addr: IpAddr, now: Instant) -> Option<u64> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let (start, n) = counts.get(&addr)?;
        let elapsed = now.saturating_duration_since(*start);
        if elapsed < self.window && *n >= self.limit {
            Some((self.window - elapsed).as_secs().max(1))
        } else {
            None
        }
    }

    /// Records one failure from `addr`.
    pub fn record_failure(&self, addr: IpAddr, now: Instant) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.len() > 100_000 {
            // Bound memory under a spray from many addresses: forget expired windows.
            let window = self.window;
            counts.retain(|_, (start, _)| now.saturating_duration_since(*start) < window);
        }
        let entry = counts.entry(addr).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
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
            assert_eq!(t.blocked_for(addr, t0), None);
            t.record_failure(addr, t0);
        }
        assert!(t.blocked_for(addr, t0).is_some());
        assert_eq!(
            t.blocked_for(other, t0),
            None,
            "other addresses are unaffected"
        );
        assert_eq!(t.blocked_for(addr, t0 + Duration::from_secs(61)), None);
    }
}
