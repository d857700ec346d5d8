//! devcontext: lets an AI assistant read a developer's GitHub, Google Calendar
//! and Slack through Auth0 Token Vault, without ever holding their keys.
//!
//! The library holds all the logic; `main.rs` only parses and maps errors to
//! exit codes. See ARCHITECTURE.md for the shape.

pub mod agent;
pub mod app;
pub mod approval;
pub mod audit;
pub mod auth;
pub mod broker;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod doctor;
pub mod error;
pub mod export;
pub mod files;
pub mod hints;
pub mod logging;
pub mod mcp;
pub mod net;
pub mod ops;
pub mod output;
pub mod perms;
pub mod progress;
pub mod providers;
pub mod redact;
pub mod runtime;
pub mod sanitize;
pub mod service;
pub mod session;
pub mod setup;
pub mod timespec;
pub mod tools;
pub mod vault;
