//! `devcontext-emulator`: a local HTTP server that imitates everything
//! devcontext talks to — Auth0 (OAuth/OIDC, Token Vault, My Account
//! Connected Accounts), GitHub, Slack, Google Calendar and an
//! OpenAI-compatible model — so tests run offline against real HTTP.
//! It prints its configuration as KEY=VALUE lines, an empty line, then
//! serves until SIGINT/SIGTERM. See auth0-protocol.md §7.

// Handlers return `Result<_, Response>` so an early error is the HTTP answer;
// boxing every error response would only add noise.
#![allow(clippy::result_large_err)]

mod calendar;
mod control;
mod faults;
mod github;
mod log;
mod management;
mod model;
mod my_account;
mod oauth;
mod providers;
mod slack;
mod state;
mod token_vault;
mod wire;

use std::io::Write;
use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{any, get, post};
use clap::Parser;
use serde_json::json;

use crate::state::App;

#[derive(Parser)]
#[command(
    name = "devcontext-emulator",
    about = "Local emulator of Auth0 (Token Vault, My Account API), GitHub, Slack, Google Calendar and an OpenAI-compatible model for devcontext's tests"
)]
struct Args {
    /// Port to listen on (0 = pick a free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The base URL devcontext reaches the emulator through, when a proxy
    /// sits in front of it (issuer, audiences, discovery); default: its own.
    #[arg(long)]
    public_url: Option<String>,
}

async fn not_found() -> Response {
    wire::json_response(
        404,
        json!({"error": "not_found", "error_description": "Not Found"}),
    )
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(oauth::discovery))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .route("/authorize", get(oauth::authorize))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/device/code", post(oauth::device_code))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/userinfo", get(oauth::userinfo).post(oauth::userinfo))
        .route("/activate", get(oauth::activate))
        .route("/oidc/logout", get(oauth::logout))
        .route("/connect", get(my_account::connect_page))
        .route(
            "/me/v1/connected-accounts/connect",
            post(my_account::connect),
        )
        .route(
            "/me/v1/connected-accounts/complete",
            post(my_account::complete),
        )
        .route(
            "/me/v1/connected-accounts/accounts",
            get(my_account::list_accounts),
        )
        .route(
            "/me/v1/connected-accounts/accounts/{id}",
            get(my_account::get_account).delete(my_account::delete_account),
        )
        .route(
            "/me/v1/connected-accounts/connections",
            get(my_account::list_connections),
        )
        .route("/github/user", get(github::user))
        .route("/github/search/issues", get(github::search_issues))
        .route("/github/users/{login}/events", get(github::events))
        .route("/github/repos/{owner}/{repo}/commits", get(github::commits))
        .route("/github/notifications", get(github::notifications))
        .route(
            "/github/repos/{owner}/{repo}/issues/{number}/comments",
            post(github::create_comment),
        )
        .route("/github/{*rest}", any(github::fallback))
        .route("/slack/api/{method}", any(slack::method))
        .route(
            "/calendar/v3/calendars/{calendar_id}/events",
            get(calendar::events),
        )
        .route(
            "/calendar/v3/users/me/settings/timezone",
            get(calendar::timezone),
        )
        .route(
            "/calendar/v3/users/me/calendarList",
            get(calendar::calendar_list),
        )
        .route("/calendar/v3/{*rest}", any(calendar::fallback))
        .route("/v1/models", get(model::models))
        .route("/v1/chat/completions", post(model::chat))
        .merge(management::routes())
        .merge(control::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(my_account::rate_limit_headers))
        .layer(from_fn_with_state(app.clone(), faults::inject))
        .layer(from_fn_with_state(app.clone(), log::record))
        .with_state(app)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "devcontext-emulator: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(args.port);
    let host = if args.host.contains(':') {
        format!("[{}]", args.host)
    } else {
        args.host.clone()
    };
    let listen = format!("http://{host}:{port}");
    let base = args
        .public_url
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| listen.clone());
    let app = Arc::new(App::new(base, listen));
    {
        let mut out = std::io::stdout().lock();
        for (k, v) in control::env_pairs(&app) {
            let _ = writeln!(out, "{k}={v}");
        }
        let _ = writeln!(out);
        let _ = out.flush();
    }
    let server = axum::serve(listener, router(app));
    tokio::select! {
        r = server => {
            if let Err(e) = r {
                eprintln!("devcontext-emulator: server error: {e}");
                std::process::exit(1);
            }
        }
        _ = shutdown_signal() => {}
    }
    std::process::exit(0);
}
