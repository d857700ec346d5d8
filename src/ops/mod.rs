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

pub use crate::runtime::block_on;
