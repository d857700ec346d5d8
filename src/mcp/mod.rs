//! `devcontext mcp`: the gated tools for any agent that speaks the Model
//! Context Protocol (Claude Code, Cursor, VS Code, Codex, Zed), over stdio.
//!
//! It is a third front door beside `ask` and `tool`, not a new path: every
//! call goes through the same broker (permission check that fails closed,
//! approval of writes, Token Vault exchange kept in memory, provider call,
//! audit). What differs is who is asked about a write: the person, through
//! the client's elicitation ([`approval`]); without it, only a grant lets a
//! write run. stdout carries nothing but protocol messages; logs go to
//! stderr (`-v`). stdin closing ends the server with exit 0.

mod approval;
pub mod catalog;
mod server;

use std::sync::Arc;

use rmcp::ServiceExt;
use rmcp::transport::async_rw::AsyncRwTransport;

use crate::app::App;
use crate::error::{Error, Result};

pub use catalog::Selection;
pub use server::McpServer;

/// Largest JSON-RPC message read from the client; a longer line is dropped.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// Serves MCP on stdin/stdout until the client closes stdin.
pub async fn serve(app: App, selection: Selection) -> Result<()> {
    let audit = app.audit("mcp")?;
    let server = McpServer::new(Arc::new(app), selection, audit);
    let (stdin, stdout) = rmcp::transport::io::stdio_pipes();
    let transport =
        AsyncRwTransport::new_server(stdin, stdout).with_max_line_length(MAX_MESSAGE_BYTES);
    let running = server
        .serve(transport)
        .await
        .map_err(|e| Error::general(format!("the MCP session did not start: {e}")))?;
    running
        .waiting()
        .await
        .map_err(|e| Error::general(format!("the MCP server stopped: {e}")))?;
    Ok(())
}
