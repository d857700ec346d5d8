//! Team audit on OpenTelemetry: ships the audit store to a collector the
//! organisation already runs, at least once, in order, without gaps.
//!
//! - [`config`]: the `OTEL_*` variables and `[export]`; off by default.
//! - [`otlp`]: events as OTLP log records and GenAI spans.
//! - [`deliver`]: batches, the cursor (kept in the audit store, see
//!   `audit::cursor`), `Retry-After`.
//!
//! Only the generated OTLP types of `opentelemetry-proto` are used, with our
//! own batching: the SDK's batch processors keep records in memory, drop them
//! when the queue is full or the export fails, and acknowledge nothing per
//! record, so they cannot drive a cursor that moves only after the collector
//! said yes. The audit store already is the durable queue.

pub mod config;
pub mod deliver;
pub mod otlp;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::app::App;
use crate::audit::{AuditLog, ExportState};
use crate::auth::Session;
use crate::error::{Error, Result};

pub use config::Config;
pub use deliver::{Mode, Outcome};

/// The random id of this installation, created once (`state/install-id`).
/// It outlives the audit store: a store deleted and started again shows up at
/// the collector as the same install starting over at event 1.
pub fn install_id(state_dir: &Path) -> Result<String> {
    let path = state_dir.join("install-id");
    let read = |p: &Path| -> Option<String> {
        let text = std::fs::read_to_string(p).ok()?;
        let id = text.trim();
        (id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit())).then(|| id.to_string())
    };
    if let Some(id) = read(&path) {
        return Ok(id);
    }
    crate::db::create_private_dir(state_dir)?;
    let id = hex::encode(rand::random::<[u8; 16]>());
    // Written aside, then linked into place: exactly one process's id wins.
    let tmp = state_dir.join(format!(".install-id.{}.tmp", std::process::id()));
    std::fs::write(&tmp, format!("{id}\n"))
        .map_err(|e| Error::general(format!("cannot write {}: {e}", tmp.display())))?;
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match (linked, read(&path)) {
        (_, Some(id)) => Ok(id),
        (Err(e), None) => Err(
            Error::general(format!("cannot create {}: {e}", path.display()))
                .with_hint("check that the state folder is writable"),
        ),
        (Ok(()), None) => Err(Error::general(format!(
            "{} is not a valid install id",
            path.display()
        ))
        .with_hint("remove it; devcontext creates a new one")),
    }
}

fn identity(app: &App, config: &Config) -> Result<otlp::Identity> {
    let session = Session::load(app).ok().flatten();
    Ok(otlp::Identity {
        service_name: config.service_name.clone(),
        install_id: install_id(&app.paths.state_dir)?,
        user_sub: session
            .as_ref()
            .and_then(|s| s.user.as_ref().map(|u| u.sub.clone())),
        tenant: session.map(|s| s.tenant),
        extra: config.resource_attributes.clone(),
    })
}

async fn ship(
    app: &App,
    config: &Config,
    audit: Arc<AuditLog>,
    mode: Mode,
    timeout: Duration,
    on_batch: Option<Box<dyn Fn(u64, i64) + Send + Sync + '_>>,
) -> Result<Outcome> {
    let shipper = deliver::Shipper {
        config,
        resource: otlp::resource(&identity(app, config)?),
        audit,
        // Delivery times and back-off are records: the real clock, never DEVCONTEXT_NOW.
        clock: crate::clock::Clock::System,
        // No redirects: a redirect would carry the API-key headers elsewhere.
        client: if config.plain_http() {
            crate::net::plain_http_client(timeout)?
        } else {
            crate::net::client(timeout, false)?
        },
        on_batch,
    };
    shipper.ship(mode).await
}

/// After a command: ships what is pending within `[export] wait_ms` (300 ms
/// at most). Never fails the command, never waits longer: delivery that has
/// not finished by then is abandoned mid-flight (the store's busy timeout is
/// bounded by the same wait), and the cursor, which moves only on an
/// acknowledgement, makes the next run resend it. Runs on the calling thread:
/// no thread hand-off on the path every command takes.
pub fn after_command(app: &App) {
    let Some(config) = app.settings.export.as_ref() else {
        return;
    };
    let started = Instant::now();
    let deadline = started + config.wait;
    // Requests give up a little earlier, so that a collector that never
    // answers is recorded as a failure (and pauses automatic tries).
    let requests_until = started + config.wait.mul_f32(0.85);
    if !app.paths.audit_db().exists() {
        return;
    }
    let Ok(audit) = app.audit("export") else {
        return;
    };
    audit.bound_for_export(config.wait);
    // Cheap check first: most commands leave nothing, or the pause is on.
    match audit.export_state() {
        Ok(s) if s.pending == 0 => return,
        Ok(s)
            if s.retry_not_before_ms
                .is_some_and(|t| t > crate::clock::Clock::System.now_ms()) =>
        {
            return;
        }
        Err(_) => return,
        Ok(_) => {}
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let shipped = runtime.block_on(async {
        tokio::time::timeout_at(
            deadline.into(),
            ship(
                app,
                config,
                audit,
                Mode::Auto {
                    deadline: requests_until,
                },
                config.wait,
                None,
            ),
        )
        .await
    });
    match shipped {
        Ok(Ok(Outcome {
            failure: Some(e), ..
        })) => tracing::debug!("export: {e}"),
        Ok(Ok(outcome)) => tracing::debug!(
            "export: {} events delivered in {} ms",
            outcome.delivered,
            started.elapsed().as_millis()
        ),
        Ok(Err(e)) => tracing::debug!("export: {e}"),
        Err(_) => tracing::debug!("export: not finished within {} ms", config.wait.as_millis()),
    }
}

/// `devcontext audit export`: checks that export is on and opens the store;
/// [`Export::run`] then ships everything pending.
pub fn export_all(app: &App) -> Result<Export<'_>> {
    let config = enabled(app)?;
    let audit = app.audit("audit export")?;
    Ok(Export { app, config, audit })
}

/// An export ready to run ([`export_all`]).
pub struct Export<'a> {
    app: &'a App,
    config: &'a Config,
    audit: Arc<AuditLog>,
}

impl Export<'_> {
    /// Ships everything pending, calling `on_batch` with (delivered, total)
    /// after each batch (the command's counter).
    pub fn run(self, on_batch: Option<Box<dyn Fn(u64, i64) + Send + Sync>>) -> Result<Outcome> {
        let timeout = Duration::from_secs(self.app.settings.timeout_secs);
        let ship = ship(
            self.app,
            self.config,
            self.audit,
            Mode::Full,
            timeout,
            on_batch,
        );
        crate::runtime::block_on(ship)?
    }
}

fn enabled(app: &App) -> Result<&Config> {
    app.settings.export.as_ref().ok_or_else(|| {
        Error::usage("audit export is off").with_hint(
            "set [export] enabled = true and OTEL_EXPORTER_OTLP_ENDPOINT (README, For teams), \
             or DEVCONTEXT_EXPORT=on",
        )
    })
}

/// What `status` and `audit export --status` show.
#[derive(Debug, Serialize)]
pub struct Status {
    pub enabled: bool,
    pub logs_endpoint: Option<String>,
    pub traces_endpoint: Option<String>,
    /// Header names only; values are secrets.
    pub headers: Vec<String>,
    #[serde(flatten)]
    pub state: ExportState,
}

pub fn status(app: &App) -> Result<Status> {
    let config = app.settings.export.as_ref();
    let state = match AuditLog::open_read_only(&app.paths.audit_db())? {
        Some(store) => store.export_state()?,
        None => ExportState::default(),
    };
    Ok(Status {
        enabled: config.is_some(),
        logs_endpoint: config.map(|c| c.display_target()),
        traces_endpoint: config.and_then(|c| c.traces_url.as_ref().map(config::display_url)),
        headers: config.map(|c| c.header_names()).unwrap_or_default(),
        state,
    })
}

impl Status {
    /// Short lines for people: the target (or "off"), then the state, then
    /// the last error if it came after the last delivery.
    pub fn lines(&self) -> Vec<String> {
        let Some(target) = &self.logs_endpoint else {
            return vec!["off (README, For teams)".into()];
        };
        let st = &self.state;
        let mut out = vec![target.clone()];
        out.push(match &st.last_delivery {
            Some(at) => format!(
                "{} pending; delivered through event {} at {at}",
                st.pending, st.delivered_id
            ),
            None => format!("{} pending; nothing delivered yet", st.pending),
        });
        if let (Some(e), Some(at)) = (&st.last_error, &st.last_error_at) {
            out.push(format!("last error at {at}: {}", crate::sanitize::line(e)));
        }
        out
    }
}
