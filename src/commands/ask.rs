//! `devcontext ask "QUESTION"`: the model loop (agent.rs) with the real broker,
//! the progress printer (progress.rs) and `--json`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::agent::{self, Agent, LocalFuture, Model, ModelSettings, ToolOutput, ToolRunner};
use crate::app::App;
use crate::approval::Policy;
use crate::broker::Broker;
use crate::chat_stream::ReplyLimits;
use crate::cli::AskArgs;
use crate::error::{Error, Result};
use crate::output;
use crate::progress::{Mode, Progress};
use crate::session;
use crate::tools::{self, ToolSpec};

/// The registry's tools, run through the broker.
struct BrokerTools<'a>(&'a Broker);

impl ToolRunner for BrokerTools<'_> {
    fn parameters(&self, spec: &'static ToolSpec) -> Value {
        tools::schema(spec)
    }

    fn execute<'a>(
        &'a self,
        spec: &'static ToolSpec,
        args: Value,
    ) -> LocalFuture<'a, Result<ToolOutput>> {
        Box::pin(async move {
            let r = tools::execute(self.0, spec, args).await?;
            Ok(ToolOutput {
                value: r.value,
                summary: r.summary,
            })
        })
    }
}

pub fn run(app: &App, args: AskArgs) -> Result<()> {
    let question = args.question.trim();
    if question.is_empty() {
        return Err(Error::usage("the question is empty")
            .with_hint("ask a question, e.g. `devcontext ask \"Brief me for standup\"`"));
    }
    // Nothing leaves the machine until what can be checked here is fine.
    session::ready_to_ask(app)?;
    let settings = ModelSettings {
        base_url: app.settings.model_base_url.clone(),
        api_key: app.settings.model_api_key.clone(),
        name: app.settings.model_name.clone(),
        max_steps: app.settings.max_steps,
        // Local models on a CPU can think for a while before the first token:
        // never less than two minutes of silence before giving up.
        timeout: Duration::from_secs(app.settings.timeout_secs.max(120)),
        temperature: app.settings.model_temperature,
        max_tokens: app.settings.model_max_tokens,
        limits: ReplyLimits {
            deadline: Duration::from_secs(app.settings.model_timeout_secs),
            tool_calls: app.settings.model_max_tool_calls as usize,
            ..ReplyLimits::default()
        },
    };
    let mode = Mode::pick(&app.ui, args.quiet || (args.json && !app.ui.stderr_tty));
    let progress = Progress::new(app.ui, mode, !args.json);
    let policy = Policy::detect(args.yes).with_pause(progress.pause());
    let broker = session::open_broker(app, "ask", Arc::new(policy))?;
    let runner = BrokerTools(&broker);
    let offered = agent::offered_tools(args.write || app.settings.model_offer_writes);
    let (report, error) = super::block_on(async {
        let model = Model::connect(&settings, broker.audit()).await?;
        let agent = Agent {
            offered: &offered,
            model: &model,
            runner: &runner,
            audit: broker.audit(),
            observer: &progress,
            max_steps: settings.max_steps,
            now: app.clock.now(),
        };
        Ok::<_, Error>(agent.run(question).await)
    })??;
    progress.finish();
    if args.json {
        output::print_json(&report)?;
    } else if report.answer.is_empty() && error.is_none() {
        eprintln!("(the model gave an empty answer)");
    }
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
