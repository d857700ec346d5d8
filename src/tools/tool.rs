//! One tool, declared once. A [`Tool`] holds everything every front door
//! needs: its [`ToolSpec`] (service, name, access, description, endpoints,
//! provider scopes), its MCP [`Annotations`], its argument type (from which
//! the input schema and the validation derive), its result type (the output
//! schema) and how it runs through the broker. A provider declares a tool
//! with [`Tool::read`] or [`Tool::write`]; nothing else in the code names a
//! tool, so a tool added there appears in `tools`, `tool`, `ask` and `mcp`.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use super::result::{Report, ToolArgs, ToolResult, parse_args};
use crate::broker::{ApiClient, ApiResponse, Broker, CallInfo, WriteRequest};
use crate::error::Result;
use crate::perms::Access;
use crate::service::Service;

/// A tool's identity and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolSpec {
    pub service: Service,
    /// Short name within the service (`post_message`).
    pub name: &'static str,
    pub access: Access,
    pub description: &'static str,
    /// The provider endpoints it may call (method and path relative to the
    /// service's base URL), for `devcontext tools --json` and reviews.
    pub endpoints: &'static [&'static str],
    /// The OAuth scopes it needs on the connected account (`doctor` names
    /// the tools a missing scope disables). GitHub Apps have none.
    pub scopes: &'static [&'static str],
}

impl ToolSpec {
    /// A read tool of `service` (the declaration adds endpoints and scopes).
    pub const fn new(service: Service, name: &'static str, description: &'static str) -> ToolSpec {
        ToolSpec {
            service,
            name,
            access: Access::Read,
            description,
            endpoints: &[],
            scopes: &[],
        }
    }

    pub const fn endpoints(mut self, endpoints: &'static [&'static str]) -> ToolSpec {
        self.endpoints = endpoints;
        self
    }

    pub const fn scopes(mut self, scopes: &'static [&'static str]) -> ToolSpec {
        self.scopes = scopes;
        self
    }

    /// `slack.post_message`
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.service, self.name)
    }

    /// The function name models see (`slack_post_message`: dots are not allowed there).
    pub fn function_name(&self) -> String {
        format!("{}_{}", self.service, self.name)
    }
}

/// What a tool promises about its effects (the MCP tool annotations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    /// Changes nothing anywhere.
    pub read_only: bool,
    /// May delete or overwrite something (only meaningful for writes).
    pub destructive: bool,
    /// Calling it twice with the same arguments has the effect of calling it once.
    pub idempotent: bool,
    /// Reaches outside the machine (every provider tool does).
    pub open_world: bool,
}

impl Annotations {
    /// Every read: changes nothing, may be repeated.
    pub const READ: Annotations = Annotations {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: true,
    };
    /// A write that adds something (a message, a comment): nothing is
    /// deleted or overwritten, and repeating it adds it twice.
    pub const ADDS: Annotations = Annotations {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    };
}

type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;
type RunFn = dyn for<'a> Fn(&'a Broker, &'a CallInfo, Value) -> LocalFuture<'a, Result<ToolResult>>
    + Send
    + Sync;

/// One tool: its declaration and the type-erased steps derived from it.
pub struct Tool {
    pub spec: ToolSpec,
    pub annotations: Annotations,
    input_schema: fn() -> Value,
    output_schema: fn() -> Value,
    check: fn(Value) -> Result<()>,
    run: Box<RunFn>,
}

impl Tool {
    /// A read tool: `work` makes the provider calls through the [`ApiClient`]
    /// the broker hands it, after the permission check and the token exchange.
    pub fn read<A, R, W>(spec: ToolSpec, work: W) -> Tool
    where
        A: ToolArgs + 'static,
        R: Report + 'static,
        W: AsyncFn(ApiClient<'_>, A) -> Result<R> + Copy + Send + Sync + 'static,
    {
        Tool {
            spec: ToolSpec {
                access: Access::Read,
                ..spec
            },
            annotations: Annotations::READ,
            input_schema: input_schema::<A>,
            output_schema: output_schema::<R>,
            check: check::<A>,
            run: Box::new(move |broker, call, args| {
                Box::pin(async move {
                    let args: A = parse_args(args)?;
                    let out = broker
                        .run(call, |api| async move { work(api, args).await })
                        .await?;
                    ToolResult::of(&out)
                })
            }),
        }
    }

    /// A write tool: `plan` builds the exact request from the arguments (it
    /// may read, e.g. to resolve a channel name to its id); the broker asks
    /// for approval with the preview rendered from that request (the one
    /// renderer, `crate::approval::render`) and sends it; `done` turns the
    /// provider's answer into the result.
    pub fn write<A, R, P, D>(spec: ToolSpec, annotations: Annotations, plan: P, done: D) -> Tool
    where
        A: ToolArgs + 'static,
        R: Report + 'static,
        P: AsyncFn(&ApiClient<'_>, &A) -> Result<WriteRequest> + Copy + Send + Sync + 'static,
        D: Fn(&A, &WriteRequest, &ApiResponse) -> R + Copy + Send + Sync + 'static,
    {
        Tool {
            spec: ToolSpec {
                access: Access::Write,
                ..spec
            },
            annotations: Annotations {
                read_only: false,
                ..annotations
            },
            input_schema: input_schema::<A>,
            output_schema: output_schema::<R>,
            check: check::<A>,
            run: Box::new(move |broker, call, args| {
                Box::pin(async move {
                    let args: A = parse_args(args)?;
                    let (request, answer) = broker
                        .write(call, async |api: &ApiClient<'_>| plan(api, &args).await)
                        .await?;
                    ToolResult::of(&done(&args, &request, &answer))
                })
            }),
        }
    }

    /// `slack.post_message`
    pub fn full_name(&self) -> String {
        self.spec.full_name()
    }

    /// `slack_post_message`
    pub fn function_name(&self) -> String {
        self.spec.function_name()
    }

    /// The JSON Schema (draft 2020-12, an object schema) of the arguments,
    /// derived from the argument type: field docs become descriptions,
    /// bounds become `minimum`/`maximum`/`maxLength`/`pattern`, defaults are given.
    pub fn input_schema(&self) -> Value {
        (self.input_schema)()
    }

    /// The JSON Schema of the structured result (what `--json`, the model
    /// and MCP clients receive), derived from the result type.
    pub fn output_schema(&self) -> Value {
        (self.output_schema)()
    }

    /// Checks the arguments without calling anything (what [`Tool::run`] does first).
    pub fn validate(&self, args: &Value) -> Result<()> {
        (self.check)(args.clone())
    }

    /// Runs the tool: the arguments are parsed and validated first (bad
    /// arguments are a usage error, exit 2, and the broker is never called);
    /// then the broker gates it (permission; for writes, approval showing
    /// exactly what will be sent where), exchanges a token and makes the
    /// provider calls, auditing each step. `args` is a JSON object (`null`
    /// counts as `{}`).
    pub async fn run(&self, broker: &Broker, args: Value) -> Result<ToolResult> {
        let call = CallInfo {
            service: self.spec.service,
            tool: self.spec.name.to_string(),
            access: self.spec.access,
        };
        (self.run)(broker, &call, args).await
    }
}

impl PartialEq for Tool {
    fn eq(&self, other: &Tool) -> bool {
        self.spec == other.spec
    }
}

impl std::fmt::Debug for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tool")
            .field("spec", &self.spec)
            .field("annotations", &self.annotations)
            .finish_non_exhaustive()
    }
}

fn input_schema<A: ToolArgs>() -> Value {
    let mut v = serde_json::to_value(schemars::schema_for!(A)).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.remove("$schema");
        m.remove("title");
        m.entry("properties")
            .or_insert_with(|| Value::Object(Default::default()));
    }
    v
}

fn output_schema<R: Report>() -> Value {
    let mut v = serde_json::to_value(schemars::schema_for!(R)).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.remove("$schema");
    }
    v
}

fn check<A: ToolArgs>(args: Value) -> Result<()> {
    parse_args::<A>(args).map(|_| ())
}
