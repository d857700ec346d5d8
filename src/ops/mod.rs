//! What the commands do, apart from how it is shown (as cargo's `ops`): each
//! operation takes the [`crate::app::App`] and plain values (never clap
//! types), does the work (stores, audit, Auth0, the broker) and returns data
//! for the command to hand to the [`crate::output::Ui`]. Operations never
//! print; what must be shown while they run (a URL to open, a notice before
//! the browser) comes back through a callback.

pub mod audit;
pub mod connect;
pub mod login;
pub mod perms;
pub mod setup;
pub mod status;
pub mod tools;

use crate::error::{Error, Result};

/// Runs async core code from synchronous code (a command, an operation).
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::general(format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(future))
}
