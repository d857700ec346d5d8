//! The model endpoint as a client: where it lives ([`ModelSettings`]), which
//! model to use (`GET /models` when none is named), one chat request per step
//! with its retries, deadline and audit (`model_call` events), and the
//! endpoint's HTTP errors mapped to one line with a hint.

use std::time::{Duration, Instant};

use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionStreamOptions, ChatCompletionToolChoiceOption,
    ChatCompletionTools, CreateChatCompletionRequest, ToolChoiceOptions,
};
use serde_json::Value;
use url::Url;

use super::Observer;
use super::calls::clip;
use super::limits::{MAX_ERROR_BODY, MAX_MODELS_BODY, Over, ReplyLimits};
use super::report::Usage;
use super::stream::{self, Reply};
use crate::audit::{Action, AuditLog, Decision, NewEvent};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::net;
use crate::tools::Tool;

/// The endpoint recorded in the audit for each model request.
pub const CHAT_ENDPOINT: &str = "POST /chat/completions";

/// Where the model lives and how it is called.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub name: Option<String>,
    pub max_steps: u32,
    /// Longest silence while a reply streams.
    pub timeout: Duration,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    /// Caps on each reply, and its overall deadline.
    pub limits: ReplyLimits,
}

impl ModelSettings {
    /// The model settings of the resolved configuration.
    pub fn from_settings(s: &Settings) -> ModelSettings {
        ModelSettings {
            base_url: s.model_base_url.clone(),
            api_key: s.model_api_key.clone(),
            name: s.model_name.clone(),
            max_steps: s.max_steps,
            // Local models on a CPU can think for a while before the first token:
            // never less than two minutes of silence before giving up.
            timeout: Duration::from_secs(s.timeout_secs.max(120)),
            temperature: s.model_temperature,
            max_tokens: s.model_max_tokens,
            limits: ReplyLimits {
                deadline: Duration::from_secs(s.model_timeout_secs),
                tool_calls: s.model_max_tool_calls as usize,
                ..ReplyLimits::default()
            },
        }
    }
}

/// A connected model endpoint.
pub struct Model {
    http: reqwest::Client,
    chat_url: String,
    key: String,
    pub name: String,
    temperature: Option<f32>,
    max_tokens: Option<u32>,
    limits: ReplyLimits,
}

impl Model {
    /// Checks the base URL, builds the client and, when no model name is
    /// configured, takes the first id from `GET /models`.
    pub async fn connect(settings: &ModelSettings, audit: &AuditLog) -> Result<Model> {
        let Some(base) = settings
            .base_url
            .as_deref()
            .filter(|b| !b.trim().is_empty())
        else {
            return Err(Error::usage("no model endpoint is configured").with_hint(
                "set OPENAI_BASE_URL to an OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1) \
                 or [model] base_url in the config, or run scripts/demo.sh",
            ));
        };
        let base = net::secure_url(base, "model base URL (OPENAI_BASE_URL)")?;
        let base_text = base.as_str().trim_end_matches('/').to_string();
        let http = net::streaming_client(settings.timeout)?;
        let key = settings.api_key.clone().unwrap_or_default();
        let name = match settings.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => first_model(&http, &base, &key, &settings.limits, audit).await?,
        };
        Ok(Model {
            http,
            chat_url: format!("{base_text}/chat/completions"),
            key,
            name,
            temperature: settings.temperature,
            max_tokens: settings.max_tokens,
            limits: settings.limits,
        })
    }

    /// The request for one step: the conversation so far and the tools, streamed
    /// with usage; `answer_now` asks for an answer without tool calls.
    pub(super) fn request(
        &self,
        messages: &[ChatCompletionRequestMessage],
        tools: &[ChatCompletionTools],
        answer_now: bool,
    ) -> CreateChatCompletionRequest {
        CreateChatCompletionRequest {
            model: self.name.clone(),
            messages: messages.to_vec(),
            tools: Some(tools.to_vec()),
            temperature: self.temperature,
            max_completion_tokens: self.max_tokens,
            tool_choice: answer_now.then_some(ChatCompletionToolChoiceOption::Mode(
                ToolChoiceOptions::None,
            )),
            stream: Some(true),
            stream_options: Some(ChatCompletionStreamOptions {
                include_usage: Some(true),
                include_obfuscation: None,
            }),
            ..Default::default()
        }
    }

    /// One step: sends `request`, reads the streamed reply within its bounds
    /// and deadline, adds its token usage to `usage` and audits it as a
    /// `model_call` event. The first step's event lists the tools `offered`.
    pub(super) async fn complete(
        &self,
        step: u32,
        request: &CreateChatCompletionRequest,
        offered: &[&Tool],
        audit: &AuditLog,
        observer: &dyn Observer,
        usage: &mut Usage,
    ) -> Result<Reply> {
        observer.model_started(step);
        let started = Instant::now();
        let limits = self.limits;
        let outcome = tokio::time::timeout(limits.deadline, self.stream_reply(request, observer))
            .await
            .unwrap_or_else(|_| Err((limits.error(Over::Deadline), None)));
        observer.model_finished(step);
        let event = NewEvent::new(Action::ModelCall, Decision::Granted)
            .endpoint(CHAT_ENDPOINT)
            .duration(started.elapsed());
        // What the model could call is part of the record of the run.
        let offered = if step == 1 {
            let names: Vec<String> = offered.iter().map(|t| t.full_name()).collect();
            format!("; tools offered: {}", names.join(", "))
        } else {
            String::new()
        };
        match outcome {
            Ok(reply) => {
                if let Some(u) = &reply.usage {
                    usage.add(u);
                }
                audit.append(event.http_status(200).reason(format!(
                    "model {}, step {step}, {} tool call(s){offered}",
                    self.name,
                    reply.calls.len()
                )))?;
                Ok(reply)
            }
            Err((e, status)) => {
                let mut ev = event.failed(format!(
                    "model {}, step {step}: {}{offered}",
                    self.name, e.message
                ));
                if let Some(s) = status {
                    ev = ev.http_status(s);
                }
                audit.append(ev)?;
                Err(e)
            }
        }
    }

    /// Sends one chat request and reads its streamed reply, checking every
    /// cap as bytes arrive. The error carries the HTTP status when there is one.
    async fn stream_reply(
        &self,
        request: &CreateChatCompletionRequest,
        observer: &dyn Observer,
    ) -> std::result::Result<Reply, (Error, Option<u16>)> {
        // A rate limit or a server error is retried three times, backing
        // off (all within the call's deadline); anything else is final.
        let mut retry = 0u32;
        let (response, code) = loop {
            let mut http = self.http.post(&self.chat_url).json(request);
            if !self.key.is_empty() {
                http = http.bearer_auth(&self.key);
            }
            let response = http
                .send()
                .await
                .map_err(|e| (net::transport_error(&e, "the model"), None))?;
            let status = response.status();
            let code = Some(status.as_u16());
            if status.is_success() {
                break (response, code);
            }
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let body = net::read_capped(response, MAX_ERROR_BODY, "the model")
                .await
                .map_err(|e| (e, code))?
                .unwrap_or_default();
            let transient = status.as_u16() == 429 || status.is_server_error();
            if !transient || retry >= 3 {
                return Err((status_error(status, &body), code));
            }
            let backoff = Duration::from_millis(250 << retry);
            let wait = retry_after
                .map(|s| Duration::from_secs(s.min(20)))
                .unwrap_or(backoff);
            retry += 1;
            tokio::time::sleep(wait).await;
        };
        stream::read(response, code, &self.limits, observer).await
    }
}

/// `GET {base}/models`, first id; the body is capped and the call has the
/// model deadline.
async fn first_model(
    http: &reqwest::Client,
    base: &Url,
    key: &str,
    limits: &ReplyLimits,
    audit: &AuditLog,
) -> Result<String> {
    let url = format!("{}/models", base.as_str().trim_end_matches('/'));
    let started = Instant::now();
    let mut request = http.get(&url);
    if !key.is_empty() {
        request = request.bearer_auth(key);
    }
    let what = "listing the models (GET /models)";
    let outcome = async {
        let response = request
            .send()
            .await
            .map_err(|e| (net::transport_error(&e, "listing the models"), None))?;
        let status = response.status();
        let code = Some(status.as_u16());
        let bytes = net::read_capped(response, MAX_MODELS_BODY, what)
            .await
            .map_err(|e| (e, code))?
            .ok_or_else(|| {
                (
                    net::oversized(what, MAX_MODELS_BODY)
                        .with_hint("pass --model NAME (or set DEVCONTEXT_MODEL)"),
                    code,
                )
            })?;
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            return Err((
                Error::upstream(format!(
                    "the model endpoint answered HTTP {status} to GET /models"
                ))
                .with_hint("pass --model NAME (or set DEVCONTEXT_MODEL)"),
                code,
            ));
        }
        body.pointer("/data/0/id")
            .and_then(Value::as_str)
            .map(|s| (clip(s, 256), status.as_u16()))
            .ok_or_else(|| {
                (
                    Error::upstream("the model endpoint lists no models")
                        .with_hint("pass --model NAME (or set DEVCONTEXT_MODEL)"),
                    code,
                )
            })
    };
    let outcome = tokio::time::timeout(limits.deadline, outcome)
        .await
        .unwrap_or_else(|_| Err((limits.error(Over::Deadline), None)));
    let event = NewEvent::new(Action::ModelCall, Decision::Granted)
        .endpoint("GET /models")
        .duration(started.elapsed());
    match outcome {
        Ok((name, status)) => {
            audit.append(event.http_status(status).reason(format!("model {name}")))?;
            Ok(name)
        }
        Err((e, status)) => {
            let mut ev = event.failed(e.message.clone());
            if let Some(s) = status {
                ev = ev.http_status(s);
            }
            audit.append(ev)?;
            Err(e)
        }
    }
}

/// The error for a model answer that is not 2xx (exit 5), from its status
/// and (capped) body; the endpoint's own text is redacted and shortened.
fn status_error(status: reqwest::StatusCode, body: &[u8]) -> Error {
    let code = status.as_u16();
    let error = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").cloned());
    let message = error
        .as_ref()
        .and_then(|e| e.get("message").or(Some(e)))
        .and_then(Value::as_str)
        .map(|m| crate::providers::truncate(&crate::redact::redact(m), 300));
    let hint = match code {
        401 | 403 => "check OPENAI_API_KEY",
        404 => "check the model name (--model) and OPENAI_BASE_URL (it usually ends in /v1)",
        429 => "the model endpoint is rate limiting; try again later",
        400 | 413 | 422 => {
            "if the conversation outgrew the model's context, ask a narrower \
             question or use a model with a larger context"
        }
        _ => "try again later, or check the model server",
    };
    let text = match (code, message) {
        (400 | 413 | 422, Some(m)) => format!("the model endpoint refused the request: {m}"),
        (_, Some(m)) => format!("the model endpoint answered HTTP {code}: {m}"),
        (_, None) => format!("the model endpoint answered HTTP {code}"),
    };
    Error::upstream(text).with_hint(hint)
}
