//! Approval of write actions (posting, commenting): on a terminal the user sees
//! exactly what will be sent where and answers (default no); without one the
//! write is refused unless `--yes` was given or a permission grant covers it
//! (the grant is checked before this, in the broker's gate).

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;

use crate::error::Result;

/// What the user is asked to approve.
#[derive(Debug, Clone)]
pub struct ApprovalRequest {
    /// `slack.post_message`
    pub tool: String,
    /// Exactly what will be sent where.
    pub preview: String,
}

/// The answer, with how it was reached (for the audit).
#[derive(Debug, Clone)]
pub struct Approval {
    pub approved: bool,
    pub how: String,
}

pub trait Approver: Send + Sync {
    fn approve(&self, request: &ApprovalRequest) -> Result<Approval>;
}

/// How this process answers approval requests.
pub enum Policy {
    /// `--yes`: approved by the flag.
    AssumeYes,
    /// No terminal to ask on: refused.
    NoTerminal,
    /// Ask on the terminal (one prompt at a time).
    Prompt(Mutex<()>),
}

impl Policy {
    /// Picks the policy for this process: `--yes`, a prompt when stdin and
    /// stderr are terminals, otherwise refusal.
    pub fn detect(assume_yes: bool) -> Policy {
        if assume_yes {
            Policy::AssumeYes
        } else if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            Policy::Prompt(Mutex::new(()))
        } else {
            Policy::NoTerminal
        }
    }
}

impl Approver for Policy {
    fn approve(&self, request: &ApprovalRequest) -> Result<Approval> {
        match self {
            Policy::AssumeYes => Ok(Approval {
                approved: true,
                how: "approved by --yes".into(),
            }),
            Policy::NoTerminal => Ok(Approval {
                approved: false,
                how: "refused: no terminal to ask for approval and no grant".into(),
            }),
            Policy::Prompt(lock) => {
                let _one_at_a_time = lock.lock().unwrap_or_else(|p| p.into_inner());
                let mut err = std::io::stderr().lock();
                writeln!(err, "\n{} wants to write:", request.tool)?;
                for line in request.preview.lines() {
                    writeln!(err, "  {line}")?;
                }
                write!(err, "Allow this once? [y/N] ")?;
                err.flush()?;
                let mut answer = String::new();
                std::io::stdin().lock().read_line(&mut answer)?;
                let yes = matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes");
                Ok(Approval {
                    approved: yes,
                    how: if yes {
                        "approved at the prompt".into()
                    } else {
                        "refused at the prompt".into()
                    },
                })
            }
        }
    }
}
