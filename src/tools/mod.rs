//! The tool table: every tool devcontext offers, each declared once by its
//! provider (`src/providers/<service>/tools.rs`) through [`Tool::read`] or
//! [`Tool::write`], and read by every front door: `ask` (model function
//! specs), `devcontext tools` / `devcontext tool` and `devcontext mcp`.
//!
//! - [`tool`]: a tool's declaration (spec, annotations, argument and result
//!   types, how it runs through the broker);
//! - [`result`]: the argument and result traits and the one [`ToolResult`];
//! - [`registry`]: a table of tools and the names they are found by (the
//!   built-in one is `crate::providers::registry()`; front doors take a
//!   `&Registry`, so a test can declare a tool of its own: `front_doors.rs`);
//! - [`flags`]: `devcontext tool`'s flags and `--help`, read off the schema.

pub mod flags;
#[cfg(test)]
mod front_doors;
pub mod registry;
pub mod result;
pub mod tool;

pub use registry::Registry;
pub use result::{Report, TableData, ToolArgs, ToolResult, kind_of, parse_args};
pub use tool::{Annotations, Tool, ToolSpec};
