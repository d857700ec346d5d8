//! Step 1, the gate: where a permission is checked and a write is approved.
//! Every tool call passes [`Broker::run`] (reads) or [`Broker::write`]
//! (writes): the permission check against the local store (fail closed),
//! then, for a write, approval from a preview rendered from the exact
//! request that will be sent. Each decision is audited, denials like grants.

use std::future::Future;

use reqwest::Method;
use serde_json::Value;

use super::{ApiClient, ApiResponse, Body, Broker, CallInfo};
use crate::approval::{Approval, ApprovalRequest, WritePreview};
use crate::audit::{Action, Decision, NewEvent};
use crate::error::{Cause, Error, Result};
use crate::perms::{self, Verdict};

/// How a write's fields are encoded in its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Form,
}

/// A write request, planned before approval and sent exactly as planned:
/// the approval preview is rendered from these fields, and the body is built
/// from them (see [`Broker::write`]). How the provider reports failure comes
/// from the hooks of the call's service, like any request's.
#[derive(Debug)]
pub struct WriteRequest {
    /// Where the write lands, as the request names it: `#general (C0123)`, `acme/web#12`.
    pub target: String,
    pub method: Method,
    /// The path under the service's base URL.
    pub path: String,
    pub format: BodyFormat,
    /// Every body field, in order (all strings).
    pub fields: Vec<(&'static str, String)>,
}

impl Broker {
    /// Step 1, the gate: the permission check (and, for a write, approval
    /// when it does not need a preview: `--yes`, or no terminal), audited
    /// whatever the answer. Returns an error (exit 7) on denial. Writes go
    /// through [`Broker::write`], which asks with a preview.
    pub fn gate(&self, call: &CallInfo) -> Result<()> {
        if self.permit(call)? {
            self.approve(call, None)?;
        }
        Ok(())
    }

    /// The permission check, audited. Ok(true): allowed once approved.
    fn permit(&self, call: &CallInfo) -> Result<bool> {
        // The rule is read while the audit store's write lock is held, so a
        // concurrent `perms revoke` lands wholly before or after this decision
        // in the chain, never between the read and its event.
        let (_, verdict) = self.audit.append_with(|| {
            let verdict = perms::check(
                &self.permissions,
                call.service,
                &call.tool,
                call.access,
                self.clock.now_ms(),
            );
            let event = NewEvent::new(
                Action::PermissionCheck,
                if matches!(verdict, Verdict::Deny { .. }) {
                    Decision::Denied
                } else {
                    Decision::Granted
                },
            )
            .service(call.service.as_str())
            .tool(call.full_name())
            .reason(format!(
                "{} {}: {}",
                call.access,
                call.full_name(),
                verdict.reason()
            ));
            (event, verdict)
        })?;
        match verdict {
            Verdict::Allow { .. } => Ok(false),
            Verdict::Deny { .. } => Err(Error::from(&verdict)),
            Verdict::Ask { .. } => Ok(true),
        }
    }

    /// Asks for approval (with the preview when there is one; a write that
    /// needs a person's answer and has no preview is refused), audited.
    fn approve(&self, call: &CallInfo, preview: Option<&WritePreview>) -> Result<()> {
        let answer = match (self.approver.answer_without_preview(), preview) {
            (Some(a), _) => Ok(a),
            (None, Some(p)) => self.approver.approve(&ApprovalRequest {
                tool: call.full_name(),
                preview: p.clone(),
            }),
            (None, None) => Ok(Approval {
                approved: false,
                how: "refused: a write without a preview cannot be approved".into(),
            }),
        };
        let (decision, reason) = match &answer {
            Ok(a) if a.approved => (Decision::Granted, a.how.clone()),
            Ok(a) => (Decision::Denied, a.how.clone()),
            Err(e) => (Decision::Error, e.message.clone()),
        };
        self.audit.append(
            NewEvent::new(Action::Approval, decision)
                .service(call.service.as_str())
                .tool(call.full_name())
                .reason(reason.clone()),
        )?;
        match answer {
            Ok(a) if a.approved => Ok(()),
            Ok(_) => Err(Error::blocked(format!(
                "{} was not approved: {reason}",
                call.full_name()
            ))
            .because(Cause::NotApproved)
            .with_hint(format!(
                "approve it at the prompt, pass --yes, or run `devcontext perms grant {} --for 1h`",
                call.full_name()
            ))),
            Err(e) => Err(e),
        }
    }

    /// One write: the permission check; a refusal that needs no preview
    /// (no terminal) stops here, before any exchange; then `plan` builds the
    /// exact request (it may read, e.g. to resolve a channel name to its id),
    /// the person approves the preview rendered from that request, and that
    /// very request is sent. Returns it with the provider's answer.
    pub async fn write<'b, P>(
        &'b self,
        call: &'b CallInfo,
        plan: P,
    ) -> Result<(WriteRequest, ApiResponse)>
    where
        P: AsyncFnOnce(&ApiClient<'b>) -> Result<WriteRequest>,
    {
        let ask = self.permit(call)?;
        let decided = ask && self.approver.answer_without_preview().is_some();
        if decided {
            self.approve(call, None)?;
        }
        let token = self.token(call, None).await?;
        let client = ApiClient::new(self, call, token);
        let request = plan(&client).await?;
        if ask && !decided {
            self.approve(call, Some(&preview(call, &request, &client)?))?;
        }
        let json;
        let body = match request.format {
            BodyFormat::Form => Body::Form(&request.fields),
            BodyFormat::Json => {
                json = Value::Object(
                    request
                        .fields
                        .iter()
                        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
                        .collect(),
                );
                Body::Json(&json)
            }
        };
        let response = client
            .send(request.method.clone(), &request.path, &[], body)
            .await?;
        Ok((request, response))
    }

    /// Runs one tool call through every step. `work` does the provider calls
    /// through the [`ApiClient`] it is given.
    pub async fn run<'b, T, F, Fut>(&'b self, call: &'b CallInfo, work: F) -> Result<T>
    where
        F: FnOnce(ApiClient<'b>) -> Fut,
        Fut: Future<Output = Result<T>> + 'b,
    {
        self.gate(call)?;
        let token = self.token(call, None).await?;
        work(ApiClient::new(self, call, token)).await
    }
}

/// The preview the person approves, rendered from the very request the
/// broker will send.
fn preview(
    call: &CallInfo,
    request: &WriteRequest,
    client: &ApiClient<'_>,
) -> Result<WritePreview> {
    Ok(WritePreview {
        tool: call.full_name(),
        fields: request
            .fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        target: request.target.clone(),
        method: request.method.to_string(),
        url: client.url(&request.path)?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use crate::approval::Policy;
    use crate::broker::tests::{broker, call, events};
    use crate::perms::{Access, Effect, PermissionStore, Subject};
    use crate::service::Service;

    #[tokio::test]
    async fn revoked_service_is_denied_before_any_exchange_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let (b, source) = broker(dir.path(), Policy::NoTerminal);
        let mut store = PermissionStore::open(&dir.path().join("permissions.db")).unwrap();
        store
            .set(
                &Subject::service(Service::Slack),
                Access::Read,
                Effect::Deny,
                None,
                0,
            )
            .unwrap();
        let c = call(Service::Slack, "unread", Access::Read);
        let err = b.run(&c, |_api| async { Ok(()) }).await.unwrap_err();
        assert_eq!(err.exit_code(), 7);
        assert_eq!(
            source.0.load(Ordering::SeqCst),
            0,
            "no exchange for a revoked service"
        );
        let e = &events(&b)[0];
        assert_eq!(
            (e.action.as_str(), e.decision.as_str()),
            ("permission_check", "denied")
        );
    }

    #[tokio::test]
    async fn writes_without_a_terminal_are_refused_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let (b, source) = broker(dir.path(), Policy::NoTerminal);
        let c = call(Service::Slack, "post_message", Access::Write);
        let err = b.run(&c, |_api| async { Ok(()) }).await.unwrap_err();
        assert_eq!(err.exit_code(), 7);
        assert_eq!(source.0.load(Ordering::SeqCst), 0);
        let e = &events(&b)[0];
        assert_eq!(
            (e.action.as_str(), e.decision.as_str()),
            ("approval", "denied")
        );
        let (b, _) = broker(dir.path(), Policy::AssumeYes);
        b.run(&c, |_api| async { Ok(()) }).await.unwrap();
    }
}
