//! Writes need the person, not the agent. Over MCP the person is reached
//! through the client's elicitation: the request shows the same sanitised
//! preview as the terminal prompt, target last, and only an explicit accept
//! with `approve: true` lets the write run. A decline, a cancel, a timeout, a
//! client that cannot elicit, or anything else is a refusal (audited by the
//! broker like every approval). Nothing in tool arguments or results can
//! approve a write: the answer comes only from the client's elicitation
//! response, which the agent's model does not produce.

use std::sync::OnceLock;
use std::time::Duration;

use rmcp::model::{ElicitRequestParams, ElicitationAction, ElicitationSchema};
use rmcp::service::{ElicitationMode, Peer, RoleServer};

use crate::approval::{self, Approval, ApprovalRequest, Approver};
use crate::error::Result;

/// How long the person has to answer an approval request.
const ANSWER_WITHIN: Duration = Duration::from_secs(300);

/// Asks the person through the MCP client.
#[derive(Default)]
pub struct ElicitingApprover {
    peer: OnceLock<Peer<RoleServer>>,
}

impl ElicitingApprover {
    /// Remembers the client to ask (set once, at the first request).
    pub fn attach(&self, peer: &Peer<RoleServer>) {
        let _ = self.peer.set(peer.clone());
    }

    fn can_elicit(&self) -> Option<&Peer<RoleServer>> {
        self.peer.get().filter(|p| {
            p.supported_elicitation_modes()
                .contains(&ElicitationMode::Form)
        })
    }
}

/// The elicitation message: the terminal prompt's preview, from the same
/// renderer, whole (a dialog cannot answer `v`), target last.
pub fn message(request: &ApprovalRequest) -> String {
    let rows = approval::render(&request.preview, 80, true);
    format!("{}\n\nAllow this once?", rows.join("\n"))
}

fn refused(how: &str) -> Approval {
    Approval {
        approved: false,
        how: how.into(),
    }
}

impl Approver for ElicitingApprover {
    /// A client that cannot ask the person refuses before any exchange.
    fn answer_without_preview(&self) -> Option<Approval> {
        self.can_elicit().is_none().then(|| {
            refused(
                "refused: the MCP client cannot ask the person (no elicitation) and no grant covers it",
            )
        })
    }

    fn approve(&self, request: &ApprovalRequest) -> Result<Approval> {
        let Some(peer) = self.can_elicit() else {
            return Ok(refused(
                "refused: the MCP client cannot ask the person (no elicitation) and no grant covers it",
            ));
        };
        let schema = ElicitationSchema::builder()
            .required_bool_with("approve", |b| {
                b.title("Allow this write once")
                    .description("true runs exactly the write shown; anything else refuses it")
            })
            .build();
        let Ok(schema) = schema else {
            return Ok(refused("refused: the approval form could not be built"));
        };
        let params = ElicitRequestParams::FormElicitationParams {
            meta: None,
            message: message(request),
            requested_schema: schema,
        };
        // The broker's gate is synchronous and runs on a blocking thread (see
        // the server); the request goes out on the runtime, and this thread
        // waits for the answer.
        let (tx, rx) = std::sync::mpsc::channel();
        let peer = peer.clone();
        tokio::runtime::Handle::current().spawn(async move {
            let answer = peer
                .create_elicitation_with_timeout(params, Some(ANSWER_WITHIN))
                .await;
            let _ = tx.send(answer);
        });
        let Ok(answer) = rx.recv_timeout(ANSWER_WITHIN + Duration::from_secs(5)) else {
            return Ok(refused("refused: no answer from the MCP client in time"));
        };
        Ok(match answer {
            Ok(result) => match result.action {
                ElicitationAction::Accept
                    if result
                        .content
                        .as_ref()
                        .and_then(|c| c.get("approve"))
                        .and_then(|v| v.as_bool())
                        == Some(true) =>
                {
                    Approval {
                        approved: true,
                        how: "approved by the person through the MCP client".into(),
                    }
                }
                ElicitationAction::Accept => {
                    refused("refused through the MCP client (approve was not true)")
                }
                ElicitationAction::Decline => refused("declined through the MCP client"),
                ElicitationAction::Cancel => refused("cancelled through the MCP client"),
                _ => refused("refused: the MCP client gave an unknown answer"),
            },
            Err(e) => {
                tracing::debug!("elicitation failed: {e}");
                refused("refused: no answer from the MCP client")
            }
        })
    }
}
