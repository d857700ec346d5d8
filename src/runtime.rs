//! The async runtime for one command: the core is async (HTTP, the model
//! stream), the commands and operations are not.

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
