//! Issue 14, point 7: the loopback callback checks `state` first. Any local
//! process can reach the port while login or connect waits: a request
//! without the flow's state, or with another one, gets a plain 400 and is
//! ignored (the flow keeps waiting and then succeeds), and an error that does
//! carry the right state reaches the terminal sanitised.

use std::path::{Path, PathBuf};

mod common;

use common::TestEnv;

/// A free loopback port (bound, then released) for DEVCONTEXT_CALLBACK_PORT,
/// so that the hostile "browser" knows where the callback listens.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A BROWSER that first sends forged callbacks (no state, a wrong state),
/// writing their HTTP codes and bodies to `codes`, then follows the real URL.
fn hostile_browser(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("hostile-browser.sh");
    let codes = dir.join("codes");
    let forged = "error=access_denied&error_description=%1B%5D0%3Bpwned%07%0D%0Aerror%3A+forged";
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n\
             cb=http://127.0.0.1:{port}/callback\n\
             curl -s -w ' %{{http_code}}\\n' \"$cb?{forged}\" >> {codes}\n\
             curl -s -w ' %{{http_code}}\\n' \"$cb?{forged}&state=not-this-flow\" >> {codes}\n\
             curl -s -w ' %{{http_code}}\\n' \"$cb?code=stolen&state=\" >> {codes}\n\
             curl -s -o /dev/null -L --max-redirs 5 \"$1\" &\n",
            codes = codes.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn assert_forged_requests_got_400(dir: &Path) {
    let codes = std::fs::read_to_string(dir.join("codes")).unwrap();
    let lines: Vec<&str> = codes.lines().collect();
    assert_eq!(lines.len(), 3, "{codes}");
    for l in lines {
        assert!(l.ends_with(" 400"), "{codes}");
        assert!(l.contains("does not belong"), "{codes}");
    }
}

#[test]
fn login_and_connect_ignore_callbacks_without_their_state() {
    let mut env = TestEnv::new();
    let port = free_port();
    env.set("DEVCONTEXT_CALLBACK_PORT", &port.to_string());
    let dir = env.home.path().join("b");
    std::fs::create_dir_all(&dir).unwrap();
    env.set("BROWSER", hostile_browser(&dir, port).to_str().unwrap());

    let out = env.dc().arg("login").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("forged") && !err.contains("pwned"), "{err}");
    assert_forged_requests_got_400(&dir);

    std::fs::remove_file(dir.join("codes")).unwrap();
    let port = free_port();
    env.set("DEVCONTEXT_CALLBACK_PORT", &port.to_string());
    env.set("BROWSER", hostile_browser(&dir, port).to_str().unwrap());
    let out = env.dc().args(["connect", "github"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("forged") && !err.contains("pwned"), "{err}");
    assert_forged_requests_got_400(&dir);
    let list = env.json(&["perms", "list", "--json"]);
    let github = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "github")
        .unwrap()
        .clone();
    assert_eq!(github["state"], "connected", "{github}");
}

#[test]
fn an_error_with_the_right_state_is_shown_sanitised() {
    let mut env = TestEnv::new();
    let dir = env.home.path().join("b");
    std::fs::create_dir_all(&dir).unwrap();
    // The "browser" answers with this flow's state (read from the authorize
    // URL) and a description full of terminal controls.
    let path = dir.join("erroring-browser.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\n\
         cb=$(python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)[\"redirect_uri\"][0])' \"$1\")\n\
         st=$(python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)[\"state\"][0])' \"$1\")\n\
         curl -s -o /dev/null \"$cb?error=access_denied&error_description=%1B%5D0%3Bpwned%07%1B%5B2J%0D%0Aerror%3A+forged%E2%80%AE&state=$st\" &\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.set("BROWSER", path.to_str().unwrap());
    let out = env.dc().arg("login").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("sign-in was not completed: access_denied"),
        "{err}"
    );
    assert!(
        err.contains("pwned"),
        "the text is shown, made harmless: {err}"
    );
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(!err.contains('\u{7}'), "{err:?}");
    assert!(!err.contains('\r'), "{err:?}");
    assert!(!err.contains('\u{202e}'), "{err:?}");
    // One error line: the forged "error:" stays inside it.
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{err}"
    );
}
