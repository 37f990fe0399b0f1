//! CPU time and resident memory of this process, read from `/proc/self` on Linux.

use std::time::Instant;

/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`, 100 on every Linux target).
const TICKS_PER_SEC: f64 = 100.0;

/// One reading of the process counters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProcessSample {
    /// User + system CPU time, in clock ticks.
    cpu_ticks: u64,
    /// Resident set size in bytes.
    pub(crate) rss_bytes: u64,
    at: Instant,
}

impl ProcessSample {
    /// Reads `/proc/self/stat` and `/proc/self/status`; `None` where they do not exist.
    pub(crate) fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        Some(Self {
            cpu_ticks: parse_cpu_ticks(&stat)?,
            rss_bytes: parse_rss_bytes(&status)?,
            at: Instant::now(),
        })
    }

    /// CPU use between `earlier` and `self`, in percent of one core.
    pub(crate) fn cpu_percent_since(&self, earlier: &Self) -> f64 {
        let secs = self.at.duration_since(earlier.at).as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        let ticks = self.cpu_ticks.saturating_sub(earlier.cpu_ticks);
        #[allow(clippy::cast_precision_loss)] // tick counts stay far below 2^52
        let cpu = ticks as f64 / TICKS_PER_SEC;
        cpu / secs * 100.0
    }
}

/// utime + stime: fields 14 and 15 of `/proc/self/stat`, counted after the
/// `(comm)` field, which may itself contain spaces and parentheses.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS:   1234 kB` of `/proc/self/status`, in bytes.
fn parse_rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_found_after_a_command_name_with_spaces_and_parens() {
        let stat = "42 (my (odd) app) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1 1 1";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn rss_is_read_in_kilobytes() {
        let status = "Name:\tapp\nVmPeak:\t 9 kB\nVmRSS:\t    2048 kB\n";
        assert_eq!(parse_rss_bytes(status), Some(2048 * 1024));
        assert_eq!(parse_rss_bytes("Name: x\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_memory() {
        let sample = ProcessSample::read().expect("/proc/self is readable on Linux");
        assert!(sample.rss_bytes > 0);
    }
}
