//! `natsStatistics`: a snapshot of connection counters, owned by the caller.

use super::boundary::{guard, guard_val, invalid_arg, non_null, put};
use crate::conn::ConnStats;
use crate::status::natsStatus;

/// Connection statistics (opaque).
pub struct natsStatistics {
    pub(crate) stats: ConnStats,
}

/// Creates a statistics object (all zero); fill it with `natsConnection_GetStats`.
#[unsafe(no_mangle)]
pub extern "C" fn natsStatistics_Create(newStats: *mut *mut natsStatistics) -> natsStatus {
    guard("natsStatistics_Create", || {
        if newStats.is_null() {
            return Err(invalid_arg("newStats must not be NULL"));
        }
        put(newStats, Box::into_raw(Box::new(natsStatistics { stats: ConnStats::default() })));
        Ok(())
    })
}

/// Reads the counters; any output pointer may be NULL.
#[unsafe(no_mangle)]
pub extern "C" fn natsStatistics_GetCounts(
    stats: *const natsStatistics,
    inMsgs: *mut u64,
    inBytes: *mut u64,
    outMsgs: *mut u64,
    outBytes: *mut u64,
    reconnects: *mut u64,
) -> natsStatus {
    guard("natsStatistics_GetCounts", || {
        let s = non_null(stats, "stats")?.stats;
        put(inMsgs, s.in_msgs);
        put(inBytes, s.in_bytes);
        put(outMsgs, s.out_msgs);
        put(outBytes, s.out_bytes);
        put(reconnects, s.reconnects);
        Ok(())
    })
}

/// Releases a statistics object (NULL is ignored).
#[unsafe(no_mangle)]
pub extern "C" fn natsStatistics_Destroy(stats: *mut natsStatistics) {
    guard_val("natsStatistics_Destroy", (), || {
        if !stats.is_null() {
            // SAFETY: created by natsStatistics_Create, destroyed once.
            drop(unsafe { Box::from_raw(stats) });
        }
    })
}
