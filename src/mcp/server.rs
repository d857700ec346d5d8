//! The MCP request handler: `initialize` (the client's name and version are
//! audited as the session's start), `tools/list` from the catalog, `tools/call`
//! through the broker exactly like `devcontext tool`, `ping`, and a watcher
//! that tells the client (`notifications/tools/list_changed`) when a
//! permission change in another terminal changes which tools are listed.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    InitializeRequestParams, InitializeResult, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ServerCapabilities, ServerConfig,
};
use rmcp::service::{NotificationContext, Peer, RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler};
use serde_json::Value;

use super::approval::ElicitingApprover;
use super::catalog::{self, Selection};
use crate::app::App;
use crate::audit::{Action, AuditLog, Decision, NewEvent};
use crate::broker::Broker;
use crate::error::{Cause, Error};
use crate::perms::{self, Access, Verdict};
use crate::providers;
use crate::session;
use crate::tools::{Tool, ToolSpec};

/// How often the permission store is looked at for changes to the listing.
const WATCH_EVERY: Duration = Duration::from_secs(1);

pub struct McpServer {
    app: Arc<App>,
    selection: Selection,
    audit: Arc<AuditLog>,
    approver: Arc<ElicitingApprover>,
    /// Opened at the first call and kept for the session, so a service's
    /// provider token is exchanged once while it is valid (memory only).
    broker: tokio::sync::Mutex<Option<Arc<Broker>>>,
    /// "name version" of the client, from `initialize`.
    client: Mutex<Option<String>>,
    /// The tool names the client was last given, to notice a change.
    listed: Arc<Mutex<Option<Vec<String>>>>,
}

impl McpServer {
    pub fn new(app: Arc<App>, selection: Selection, audit: Arc<AuditLog>) -> McpServer {
        McpServer {
            app,
            selection,
            audit,
            approver: Arc::new(ElicitingApprover::default()),
            broker: tokio::sync::Mutex::new(None),
            client: Mutex::new(None),
            listed: Arc::new(Mutex::new(None)),
        }
    }

    fn client_label(&self) -> String {
        lock(&self.client)
            .clone()
            .unwrap_or_else(|| "an MCP client that did not initialize".into())
    }

    /// The tools listed now: those the flags allow, minus those the user has
    /// blocked (a blocked tool comes back, with `list_changed`, when granted).
    fn visible(&self) -> Vec<&'static Tool> {
        visible(&self.app, &self.selection)
    }

    async fn broker(&self) -> Result<Arc<Broker>, Error> {
        let mut slot = self.broker.lock().await;
        if let Some(b) = slot.as_ref() {
            return Ok(b.clone());
        }
        let approver: Arc<dyn crate::approval::Approver> = self.approver.clone();
        let broker = Arc::new(session::open_broker_with(
            &self.app,
            self.audit.clone(),
            approver,
        )?);
        *slot = Some(broker.clone());
        Ok(broker)
    }

    async fn run_tool(&self, tool: &'static Tool, args: Value) -> CallToolResult {
        let spec = &tool.spec;
        // Bad arguments fail before any session, permission check or request.
        if let Err(e) = tool.validate(&args) {
            return failure(spec, e);
        }
        let broker = match self.broker().await {
            Ok(b) => b,
            Err(e) => return failure(spec, e),
        };
        // The tool runs on a blocking thread with its own `block_on`: the
        // broker's approval step may wait there for the person's answer while
        // the runtime's workers keep serving the transport.
        let handle = tokio::runtime::Handle::current();
        let run = tokio::task::spawn_blocking(move || handle.block_on(tool.run(&broker, args)))
            .await
            .unwrap_or_else(|e| Err(Error::general(format!("the tool call stopped: {e}"))));
        match run {
            Ok(result) => {
                let json = result.value.to_string();
                let mut out = CallToolResult::success(vec![
                    ContentBlock::text(result.summary),
                    ContentBlock::text(json),
                ]);
                out.structured_content = Some(result.value);
                out
            }
            Err(e) => failure(spec, e),
        }
    }

    fn record(&self, event: NewEvent) {
        if let Err(e) = self.audit.append(event) {
            tracing::warn!("cannot audit: {e}");
        }
    }
}

/// The tools the flags allow and the permission store does not block.
pub fn visible(app: &App, selection: &Selection) -> Vec<&'static Tool> {
    let db = app.paths.permissions_db();
    let now = app.clock.now_ms();
    selection
        .offered(providers::registry())
        .filter(|t| {
            let t = &t.spec;
            !matches!(
                perms::check(&db, t.service, t.name, t.access, now),
                Verdict::Deny { .. }
            )
        })
        .collect()
}

/// A tool failure as the agent sees it: `isError`, the CLI's one line and hint.
fn failure(spec: &ToolSpec, e: Error) -> CallToolResult {
    let e = mcp_hint(spec, e);
    let mut text = e.message.clone();
    if let Some(hint) = &e.hint {
        text.push_str(&format!("\nhint: {hint}"));
    }
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// Over MCP there is no prompt and no `--yes`: a refused write's way forward
/// is a time-boxed grant the person gives in their own terminal.
fn mcp_hint(spec: &ToolSpec, e: Error) -> Error {
    if e.cause() == Some(Cause::NotApproved) && spec.access == Access::Write {
        e.with_hint(format!(
            "the person can allow it for a while with `devcontext perms grant {} --for 1h`",
            spec.full_name()
        ))
    } else {
        e
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sends `list_changed` whenever the listed tools change, until the client goes.
async fn watch(server: Arc<WatchState>, peer: Peer<RoleServer>) {
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        let now: Vec<String> = visible(&server.app, &server.selection)
            .iter()
            .map(|t| t.function_name())
            .collect();
        let changed = {
            let mut listed = lock(&server.listed);
            match listed.as_ref() {
                Some(before) if *before != now => {
                    *listed = Some(now);
                    true
                }
                _ => false,
            }
        };
        if changed && peer.notify_tool_list_changed().await.is_err() {
            return;
        }
        if peer.is_transport_closed() {
            return;
        }
    }
}

/// What the watcher shares with the handler.
pub struct WatchState {
    app: Arc<App>,
    selection: Selection,
    listed: Arc<Mutex<Option<Vec<String>>>>,
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let mut info = InitializeResult::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        );
        info.protocol_version = ProtocolVersion::LATEST_WITH_INITIALIZE;
        info.server_info = Implementation::new("devcontext", env!("CARGO_PKG_VERSION"));
        info.server_info.title = Some("devcontext".into());
        info.instructions = Some(
            "Reads the user's GitHub, Google Calendar and Slack through Auth0 Token Vault. \
             Every call is checked against the user's permissions and audited; writes \
             (posting, commenting) run only when the person approves them."
                .into(),
        );
        info
    }

    /// The handshake era only (up to 2025-11-25): approval of writes asks the
    /// person through an elicitation request sent to the client.
    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(
            &ProtocolVersion::LATEST_WITH_INITIALIZE,
        ))
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        context.peer.set_peer_info(request.clone());
        self.approver.attach(&context.peer);
        let c = &request.client_info;
        let label = format!("{} {}", c.name, c.version);
        *lock(&self.client) = Some(label.clone());
        let result = self.negotiate_initialize(&request);
        let elicits = request.capabilities.elicitation.is_some();
        self.record(
            NewEvent::new(Action::SessionStart, Decision::Granted).reason(format!(
                "MCP client {label}, protocol {}, {}",
                request.protocol_version,
                if elicits {
                    "can ask the person (elicitation)"
                } else {
                    "cannot ask the person: writes need a grant"
                }
            )),
        );
        result
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let state = Arc::new(WatchState {
            app: self.app.clone(),
            selection: self.selection.clone(),
            listed: self.listed.clone(),
        });
        tokio::spawn(watch(state, context.peer.clone()));
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let tools = self.visible();
        *lock(&self.listed) = Some(tools.iter().map(|t| t.function_name()).collect());
        Ok(ListToolsResult::with_all_items(
            tools.into_iter().map(catalog::describe).collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        self.approver.attach(&context.peer);
        let name = request.name.to_string();
        let client = self.client_label();
        let tool = providers::registry()
            .find_function(&name)
            .filter(|t| self.selection.allows(t));
        let Some(tool) = tool else {
            self.record(
                NewEvent::new(Action::ToolRequest, Decision::Denied)
                    .tool(crate::sanitize::truncate(&name, 80))
                    .reason(format!("unknown tool, requested by {client}")),
            );
            return Err(McpError::invalid_params(
                format!(
                    "unknown tool '{}': see tools/list",
                    crate::sanitize::truncate(&name, 80)
                ),
                None,
            ));
        };
        self.record(
            NewEvent::new(Action::ToolRequest, Decision::Granted)
                .service(tool.spec.service.as_str())
                .tool(tool.spec.name)
                .reason(format!("requested by {client}")),
        );
        let args = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        Ok(self.run_tool(tool, args).await.into())
    }
}
