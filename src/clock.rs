//! Milliseconds on a monotonic-enough clock, natively and in the browser (where
//! `std::time::Instant` is not available), for the timings that benchmarks report.

/// Milliseconds since some fixed point in this process.
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

/// Milliseconds since the epoch (the browser's clock).
#[cfg(target_arch = "wasm32")]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
