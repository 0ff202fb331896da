//! Reconnect delays as X prescribes for its streaming endpoints:
//! network errors back off linearly (+250 ms, up to 16 s); HTTP 5xx exponentially from
//! 5 s to 320 s; 429 exponentially from 60 s and never before `x-rate-limit-reset`.
//! A connection that streamed successfully resets all of it. 401/403 are not retried.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// TCP/TLS errors, a stall, an abrupt close, an operational disconnect.
    Network,
    /// HTTP 5xx.
    Server,
    /// HTTP 429; `reset_in` from the `x-rate-limit-reset` header, when present.
    RateLimited { reset_in: Option<Duration> },
}

#[derive(Debug, Clone, Default)]
pub struct Backoff {
    network: u32,
    server: u32,
    rate_limited: u32,
}

impl Backoff {
    /// The delay before the next attempt after this failure.
    pub fn next(&mut self, failure: Failure) -> Duration {
        match failure {
            Failure::Network => {
                self.network += 1;
                Duration::from_millis(250 * u64::from(self.network)).min(Duration::from_secs(16))
            }
            Failure::Server => {
                let delay = Duration::from_secs(5) * 2u32.saturating_pow(self.server.min(6));
                self.server += 1;
                delay.min(Duration::from_secs(320))
            }
            Failure::RateLimited { reset_in } => {
                let delay =
                    Duration::from_secs(60) * 2u32.saturating_pow(self.rate_limited.min(10));
                self.rate_limited += 1;
                reset_in.map_or(delay, |reset| delay.max(reset))
            }
        }
    }

    /// After a good connection: start over.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn network_errors_back_off_linearly_to_16s() {
        let mut b = Backoff::default();
        let delays: Vec<u128> = (0..70).map(|_| ms(b.next(Failure::Network))).collect();
        assert_eq!(&delays[..4], &[250, 500, 750, 1000]);
        assert_eq!(delays[63], 16_000);
        assert_eq!(delays[69], 16_000);
    }

    #[test]
    fn server_errors_back_off_exponentially_to_320s() {
        let mut b = Backoff::default();
        let delays: Vec<u128> = (0..9).map(|_| ms(b.next(Failure::Server)) / 1000).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 320, 320]);
    }

    #[test]
    fn rate_limits_wait_at_least_a_minute_and_for_the_reset() {
        let mut b = Backoff::default();
        assert_eq!(ms(b.next(Failure::RateLimited { reset_in: None })), 60_000);
        assert_eq!(ms(b.next(Failure::RateLimited { reset_in: None })), 120_000);
        let later = Some(Duration::from_secs(900));
        assert_eq!(
            ms(b.next(Failure::RateLimited { reset_in: later })),
            900_000
        );
        b.reset();
        assert_eq!(ms(b.next(Failure::Network)), 250);
        assert_eq!(ms(b.next(Failure::RateLimited { reset_in: None })), 60_000);
    }
}
