//! `devcontext ask "QUESTION"`: wires the model loop (src/agent/) to the real
//! broker, the progress printer (progress.rs) and `--json`.

use std::sync::Arc;

use crate::agent::{self, Agent, Model, ModelSettings};
use crate::app::App;
use crate::approval::Policy;
use crate::cli::AskArgs;
use crate::error::{Error, Result};
use crate::progress::{Mode, Progress};
use crate::session;

pub fn run(app: &App, args: AskArgs) -> Result<()> {
    let question = args.question.trim();
    if question.is_empty() {
        return Err(Error::usage("the question is empty")
            .with_hint("ask a question, e.g. `devcontext ask \"Brief me for standup\"`"));
    }
    // Nothing leaves the machine until what can be checked here is fine.
    session::ready_to_ask(app)?;
    let settings = ModelSettings::from_settings(&app.settings);
    let mode = Mode::pick(&app.ui, args.quiet || (args.json && !app.ui.stderr_tty));
    let progress = Progress::new(app.ui, mode, !args.json);
    let policy = Policy::new(&app.ui, args.yes).with_pause(progress.pause());
    let broker = session::open_broker(app, "ask", Arc::new(policy))?;
    let offered = agent::offered_tools(
        crate::providers::registry(),
        args.write || app.settings.model_offer_writes,
    );
    let (report, error) = super::block_on(async {
        let model = Model::connect(&settings, broker.audit()).await?;
        let agent = Agent {
            model: &model,
            broker: &broker,
            observer: &progress,
            offered: &offered,
            max_steps: settings.max_steps,
            now: app.clock.now(),
            zone: agent::time_zone(&app.env),
        };
        Ok::<_, Error>(agent.run(question).await)
    })??;
    progress.finish();
    if args.json {
        app.ui.json(&report)?;
    } else if report.answer.is_empty() && error.is_none() {
        app.ui.status("(the model gave an empty answer)");
    }
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
