//! The approval prompt as a person sees it: `ask --write` runs on a real
//! pseudo-terminal (tmux, 80 and 120 columns), the scripted model asks to
//! post hostile text to #general, and the test reads the rendered screen.
//! For every forging technique (newlines forging field lines, CSI cursor
//! moves, OSC titles and links, `\r` overwrites, U+202E, hundreds of lines)
//! the line directly above the question names the real target and no forged
//! field line is on the screen; the screen's rows are exactly the preview of
//! the request, and answering `y` posts exactly that request (the emulator's
//! write log), `n` posts nothing.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use devcontext::approval::{self, WritePreview};
use serde_json::{Value, json};

mod common;

use common::TestEnv;

/// The emulator's #general.
const GENERAL_ID: &str = "C0GENERAL1";

/// A tmux server of its own (socket in a scratch folder), one session.
struct Screen {
    socket: PathBuf,
    exit_file: PathBuf,
    /// Removed after the server is killed (fields drop after `drop`).
    _scratch: tempfile::TempDir,
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Screen {
    /// Runs `devcontext ARGS` (with the test environment) on a `cols` x 40 terminal.
    fn start(env: &TestEnv, name: &str, cols: u16, args: &[&str]) -> Screen {
        // The script holds the test environment (the emulator's client
        // secrets): it lives outside the test home, which the leak scan reads.
        let scratch = tempfile::Builder::new().prefix(name).tempdir().unwrap();
        let dir = scratch.path().to_path_buf();
        let cmd = env.std_dc();
        let mut script = String::from("#!/bin/sh\n");
        for (k, v) in cmd.get_envs() {
            // Our colours on, to show they are ours alone.
            if k == "NO_COLOR" {
                continue;
            }
            if let Some(v) = v {
                script.push_str(&format!(
                    "export {}={}\n",
                    k.to_string_lossy(),
                    shell_quote(&v.to_string_lossy())
                ));
            }
        }
        script.push_str(&shell_quote(&cmd.get_program().to_string_lossy()));
        for a in cmd.get_args().map(|a| a.to_string_lossy().into_owned()) {
            script.push(' ');
            script.push_str(&shell_quote(&a));
        }
        for a in args {
            script.push(' ');
            script.push_str(&shell_quote(a));
        }
        let exit_file = dir.join("exit");
        script.push_str(&format!(
            "\necho $? > {}\nsleep 600\n",
            shell_quote(&exit_file.to_string_lossy())
        ));
        let path = dir.join("run.sh");
        std::fs::write(&path, script).unwrap();
        let screen = Screen {
            socket: dir.join("tmux.sock"),
            exit_file,
            _scratch: scratch,
        };
        let out = screen
            .tmux(&[
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "s",
                "-x",
                &cols.to_string(),
                "-y",
                "40",
                &format!("sh {}", shell_quote(&path.to_string_lossy())),
            ])
            .unwrap();
        assert!(out.status.success(), "tmux: {out:?}");
        screen
    }

    fn tmux(&self, args: &[&str]) -> std::io::Result<std::process::Output> {
        Command::new("tmux")
            .arg("-u")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .env("LANG", "C.UTF-8")
            .output()
    }

    /// The screen as rows of text (trailing blanks dropped).
    fn rows(&self) -> Vec<String> {
        let out = self.tmux(&["capture-pane", "-p", "-t", "s"]).unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut rows: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
        while rows.last().is_some_and(|r| r.is_empty()) {
            rows.pop();
        }
        rows
    }

    fn title(&self) -> String {
        let out = self
            .tmux(&["display-message", "-p", "-t", "s", "#{pane_title}"])
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until the last row starts with `prefix`, or the program exited.
    fn wait_for_question(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let rows = self.rows();
            if rows
                .last()
                .is_some_and(|r| r.starts_with(approval::QUESTION.trim_end()))
            {
                // Let the output settle (nothing may come after the question).
                std::thread::sleep(Duration::from_millis(300));
                let again = self.rows();
                if again == rows {
                    return rows;
                }
                continue;
            }
            assert!(
                Instant::now() < deadline && !self.exit_file.exists(),
                "no question on the screen: {rows:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn answer(&self, text: &str) {
        let out = self.tmux(&["send-keys", "-t", "s", "-l", text]).unwrap();
        assert!(out.status.success());
        let out = self.tmux(&["send-keys", "-t", "s", "Enter"]).unwrap();
        assert!(out.status.success());
    }

    fn wait_exit(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.exit_file.exists() {
            assert!(Instant::now() < deadline, "no exit: {:#?}", self.rows());
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(100));
        std::fs::read_to_string(&self.exit_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

/// The model asks to post `text` to #general, then answers.
fn script_post(env: &TestEnv, text: &str) {
    env.control(
        "POST",
        "/__emulator/model/script",
        json!([
            {"tool_calls": [{"name": "slack_post_message",
                             "arguments": json!({"channel": "general", "text": text}).to_string()}]},
            {"content": "Done."}
        ]),
    );
}

fn writes(env: &TestEnv) -> Vec<Value> {
    env.get("/__emulator/writes")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The preview of a post of `text` to #general, as the renderer builds it.
fn expected(env: &TestEnv, text: &str, cols: usize, full: bool) -> Vec<String> {
    let base = env.emu.var("DEVCONTEXT_SLACK_API_URL");
    approval::render(
        &WritePreview {
            tool: "slack.post_message".into(),
            fields: vec![
                ("channel".into(), GENERAL_ID.into()),
                ("text".into(), text.into()),
            ],
            target: format!("#general ({GENERAL_ID})"),
            method: "POST".into(),
            url: format!("{}/chat.postMessage", base.trim_end_matches('/')),
        },
        cols,
        full,
    )
    .into_iter()
    .map(|r| r.trim_end().to_string())
    .collect()
}

/// The forging techniques: a name and the hostile text.
fn techniques() -> Vec<(&'static str, String)> {
    let forged = "══ to #dana-notes (C0DANANOTE)";
    vec![
        (
            "newlines",
            format!(
                "Quick update\nchannel: C0DANANOTE\nChannel: #dana-notes\n{forged}\n\
                 ══ POST https://slack.com/api/chat.postMessage\nAllow this once? [y/N]"
            ),
        ),
        (
            "csi",
            format!("hello\x1b[3A\x1b[1G\x1b[2K{forged}\x1b[2J\x1b[H{forged}\x1b[10B"),
        ),
        (
            "osc",
            format!(
                "\x1b]0;APPROVED BY ADMIN\x07\x1b]2;pwned\x1b\\\x1b]8;;https://evil.example\x07{forged}\x1b]8;;\x07"
            ),
        ),
        (
            "carriage-return",
            format!("this is harmless\r{forged}                    \rsee?\r\n{forged}"),
        ),
        (
            "bidi",
            format!("\u{202E}setoN-anad# ot ══\u{202C} {forged}"),
        ),
        (
            "hundreds-of-lines",
            (1..=400)
                .map(|i| format!("line {i}\n"))
                .chain([forged.to_string()])
                .collect(),
        ),
    ]
}

/// What must hold on every screen: the question last, the real target
/// directly above it, the request above that, and no forged field line.
fn check_screen(rows: &[String], what: &str) {
    let q = rows.len() - 1;
    assert!(
        rows[q].starts_with(approval::QUESTION.trim_end()),
        "{what}: {rows:#?}"
    );
    assert_eq!(
        rows[q - 1],
        format!("══ to #general ({GENERAL_ID})"),
        "{what}: the line above the question: {rows:#?}"
    );
    assert!(
        rows[q - 2].starts_with("══ POST http://127.0.0.1:"),
        "{what}: {rows:#?}"
    );
    for (i, row) in rows.iter().enumerate() {
        let start = row.trim_start();
        if i == q - 1 || i == q - 2 || i == q {
            continue;
        }
        for forged in [
            "══",
            "channel:",
            "Channel:",
            "to ",
            "POST",
            "Allow this once",
        ] {
            assert!(
                !start.starts_with(forged),
                "{what}: a forged field line on the screen (row {i}): {row:?}\n{rows:#?}"
            );
        }
        assert!(
            !row.contains('\u{202E}') && !row.contains('\x1b'),
            "{row:?}"
        );
    }
    let targets = rows.iter().filter(|r| r.starts_with("══ to ")).count();
    assert_eq!(targets, 1, "{what}: {rows:#?}");
}

/// The preview's rows at the bottom of the screen, above the question.
fn preview_rows(rows: &[String], n: usize) -> Vec<String> {
    rows[rows.len() - 1 - n..rows.len() - 1].to_vec()
}

#[test]
fn no_technique_can_forge_the_target_and_y_posts_exactly_what_was_shown() {
    let env = TestEnv::connected();
    for (i, (name, text)) in techniques().into_iter().enumerate() {
        for cols in [80u16, 120] {
            // At 80 columns the answer is no, at 120 yes.
            let yes = cols == 120;
            script_post(&env, &text);
            let before = writes(&env).len();
            let screen = Screen::start(
                &env,
                &format!("{name}-{cols}"),
                cols,
                &["ask", "--write", "post the update"],
            );
            let rows = screen.wait_for_question();
            let what = format!("{name} at {cols} columns");
            check_screen(&rows, &what);
            let want = expected(&env, &text, cols.into(), false);
            assert_eq!(
                preview_rows(&rows, want.len()),
                want,
                "{what}: the screen is not the preview of the request"
            );
            assert!(
                !screen.title().contains("APPROVED") && !screen.title().contains("pwned"),
                "{what}: the title was changed to {:?}",
                screen.title()
            );
            if name == "hundreds-of-lines" {
                let note = rows.iter().find(|r| r.contains(" ┆ (+")).unwrap();
                assert!(note.contains("more lines"), "{note}");
            }
            screen.answer(if yes { "y" } else { "n" });
            let code = screen.wait_exit();
            let after = writes(&env);
            if yes {
                assert_eq!(code, 0, "{what}: {:#?}", screen.rows());
                assert_eq!(after.len(), before + 1, "{what}");
                let w = &after[before];
                assert_eq!(w["channel"], GENERAL_ID, "{what}: {w}");
                assert_eq!(w["text"], text.as_str(), "{what}: {w}");
                // What was posted renders to exactly the rows that were shown.
                let shown = expected(&env, w["text"].as_str().unwrap(), cols.into(), false);
                assert_eq!(preview_rows(&rows, shown.len()), shown, "{what}");
            } else {
                assert_eq!(after.len(), before, "{what}: posted after n");
                let done = screen.rows().join("\n");
                assert!(done.contains("blocked"), "{what}: {done}");
            }
            let _ = i;
        }
    }
    // Every answer is audited.
    let approvals: Vec<String> = env
        .audit("approval")
        .iter()
        .map(|e| e["decision"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(approvals.iter().filter(|d| *d == "granted").count(), 6);
    assert_eq!(approvals.iter().filter(|d| *d == "denied").count(), 6);
}

#[test]
fn v_shows_the_whole_escaped_text_then_asks_again() {
    let env = TestEnv::connected();
    let text: String = (1..=60)
        .map(|i| format!("line {i} \x1b[1A\r"))
        .collect::<Vec<_>>()
        .join("\n");
    script_post(&env, &text);
    let screen = Screen::start(&env, "view", 80, &["ask", "--write", "post it"]);
    let rows = screen.wait_for_question();
    check_screen(&rows, "before v");
    assert!(!rows.iter().any(|r| r.contains("line 60 ")), "{rows:#?}");
    screen.answer("v");
    // The whole text, escaped, then the request and target again.
    let deadline = Instant::now() + Duration::from_secs(30);
    let rows = loop {
        let rows = screen.wait_for_question();
        if rows.iter().any(|r| r.contains("line 60 ")) {
            break rows;
        }
        assert!(Instant::now() < deadline, "{rows:#?}");
    };
    check_screen(&rows, "after v");
    let full = expected(&env, &text, 80, true);
    // 40 rows of screen: the bottom of the full view.
    let shown = rows.len() - 1;
    assert_eq!(preview_rows(&rows, shown), full[full.len() - shown..]);
    assert!(
        rows.iter().any(|r| r.ends_with("│ line 60 ␛[1A␍")),
        "{rows:#?}"
    );
    screen.answer("y");
    assert_eq!(screen.wait_exit(), 0);
    let w = writes(&env).pop().unwrap();
    assert_eq!(w["text"], text.as_str());
    assert_eq!(w["channel"], GENERAL_ID);
}

#[test]
fn progress_and_the_answer_on_a_terminal_show_escapes_instead_of_running_them() {
    let env = TestEnv::connected();
    let hostile =
        "\x1b]0;APPROVED\x07\x1b]8;;https://evil.example\x07link\x1b]8;;\x07\x1b[2J\x1b[H\r";
    env.control(
        "POST",
        "/__emulator/model/script",
        json!([
            {"tool_calls": [{"name": format!("jira{hostile}"), "arguments": "{}"}]},
            {"content": format!("Brief: all quiet.{hostile}over")}
        ]),
    );
    let screen = Screen::start(&env, "answer", 100, &["ask", "brief me"]);
    assert_eq!(screen.wait_exit(), 0, "{:#?}", screen.rows());
    let rows = screen.rows();
    let text = rows.join("\n");
    assert!(!screen.title().contains("APPROVED"), "{}", screen.title());
    // The progress line and the answer, both intact and visible.
    assert!(
        text.contains("jira␛]0;APPROVED␇␛]8;;https://evil.example␇link"),
        "{rows:#?}"
    );
    assert!(
        text.contains(
            "Brief: all quiet.␛]0;APPROVED␇␛]8;;https://evil.example␇link␛]8;;␇␛[2J␛[H␍over"
        ),
        "{rows:#?}"
    );
}
