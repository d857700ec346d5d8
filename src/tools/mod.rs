//! The tool table: every tool devcontext offers, each declared once by its
//! provider (`src/providers/<service>/tools.rs`) through [`Tool::read`] or
//! [`Tool::write`], and read by every front door: `ask` (model function
//! specs), `devcontext tools` / `devcontext tool` and `devcontext mcp`.
//!
//! - [`tool`]: a tool's declaration (spec, annotations, argument and result
//!   types, how it runs through the broker);
//! - [`result`]: the argument and result traits and the one [`ToolResult`];
//! - [`registry`]: a table of tools and the names they are found by.

pub mod flags;
pub mod registry;
pub mod result;
pub mod tool;

pub use registry::Registry;
pub use result::{Report, TableData, ToolArgs, ToolResult, parse_args};
pub use tool::{Annotations, Tool, ToolSpec};
