//! Debug logs for `-v` / `-vv`, on stderr. Messages pass through [`crate::redact`]
//! at the call sites that could carry upstream text; tokens are never formatted.

use tracing_subscriber::fmt;

pub fn init(verbosity: u8) {
    let level = match verbosity {
        0 => return,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let _ = fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}
