//! `devcontext mcp`: serve the tools to an MCP client over stdio.

use crate::app::App;
use crate::cli::McpArgs;
use crate::error::Result;
use crate::mcp::{self, Selection};

pub fn run(app: App, args: McpArgs) -> Result<()> {
    let selection = Selection::parse(
        crate::providers::registry(),
        args.read_only,
        &args.services,
        &args.tools,
        &args.exclude_tools,
    )?;
    super::block_on(mcp::serve(app, selection))?
}
