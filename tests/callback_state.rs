//! Issue 14, point 7: the loopback callback checks `state` first. Any local
//! process can reach the port while login or connect waits: a request
//! without the flow's state, or with another one, gets a plain 400 and is
//! ignored (the flow keeps waiting and then succeeds), and an error that does
//! carry the right state reaches the terminal sanitised. The listener reads
//! a request that arrives in pieces whole, and the page the browser gets
//! says whether the sign-in was completed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;

use common::TestEnv;

/// A BROWSER that first sends forged callbacks (no state, a wrong state),
/// writing their HTTP codes and bodies to `codes`, then follows the real URL.
fn hostile_browser(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("hostile-browser.sh");
    let codes = dir.join("codes");
    let forged = "error=access_denied&error_description=%1B%5D0%3Bpwned%07%0D%0Aerror%3A+forged";
    executable(
        &path,
        &format!(
            "#!/bin/sh\n\
             cb=http://127.0.0.1:{port}/callback\n\
             curl -s -w ' %{{http_code}}\\n' \"$cb?{forged}\" >> {codes}\n\
             curl -s -w ' %{{http_code}}\\n' \"$cb?{forged}&state=not-this-flow\" >> {codes}\n\
             curl -s -w ' %{{http_code}}\\n' \"$cb?code=stolen&state=\" >> {codes}\n\
             curl -s -o /dev/null -L --max-redirs 5 \"$1\" &\n",
            codes = codes.display()
        ),
    );
    path
}

fn executable(path: &Path, script: &str) {
    std::fs::write(path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// What the "browser" wrote to `path` (it runs on after devcontext exits:
/// waits up to 10 s for the file to appear).
fn page(path: &Path) -> String {
    let started = Instant::now();
    while !path.exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the browser wrote no page to {}: {e}", path.display()))
}

/// A BROWSER that follows Auth0's redirects itself until the Location is
/// the loopback callback, then sends that request in two TCP writes half a
/// second apart, split inside the query string (`...&st` | `ate=...`), and
/// writes the whole answer it gets to `page` next to itself (its errors to
/// `browser.log`, with the URLs it went through).
const SPLIT_BROWSER: &str = r#"#!/usr/bin/env python3
import os, socket, sys, time
import urllib.error, urllib.parse as up, urllib.request as ur

here = os.path.dirname(os.path.abspath(__file__))
sys.stderr = open(os.path.join(here, "browser.log"), "w")
url = sys.argv[1]
print("start", url, file=sys.stderr, flush=True)
callback = up.parse_qs(up.urlparse(url).query)["redirect_uri"][0]

class Stay(ur.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

opener = ur.build_opener(Stay)
for _ in range(10):
    if url.startswith(callback + "?"):
        break
    try:
        opener.open(url, timeout=10)
        sys.exit("no redirect from " + url)
    except urllib.error.HTTPError as e:
        url = up.urljoin(url, e.headers["Location"])
        print("to", url, file=sys.stderr, flush=True)
else:
    sys.exit("the redirects never reached the callback")

u = up.urlparse(url)
request = f"GET {u.path}?{u.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
cut = request.index(b"&state=") + len(b"&st")
s = socket.create_connection((u.hostname, u.port), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(request[:cut])
time.sleep(0.5)
s.sendall(request[cut:])
answer = b""
while True:
    piece = s.recv(65536)
    if not piece:
        break
    answer += piece
with open(os.path.join(here, "page.tmp"), "wb") as f:
    f.write(answer)
os.rename(os.path.join(here, "page.tmp"), os.path.join(here, "page"))
"#;

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
    let port = common::free_port();
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
    let port = common::free_port();
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
    // URL) and a description full of terminal controls, and keeps the page
    // it gets.
    let path = dir.join("erroring-browser.sh");
    executable(
        &path,
        &format!(
            "#!/bin/sh\n\
             cb=$(python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)[\"redirect_uri\"][0])' \"$1\")\n\
             st=$(python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)[\"state\"][0])' \"$1\")\n\
             (curl -s -o {dir}/page.tmp \"$cb?error=access_denied&error_description=%1B%5D0%3Bpwned%07%1B%5B2J%0D%0Aerror%3A+forged%E2%80%AE&state=$st\" && mv {dir}/page.tmp {dir}/page) &\n",
            dir = dir.display()
        ),
    );
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
    // The browser is told the sign-in did not complete.
    let page = page(&dir.join("page"));
    assert!(page.contains("The request was not completed"), "{page}");
    assert!(!page.contains("Done."), "{page}");
}

/// A request may reach the listener in pieces (the TCP stream has no
/// message boundaries): it reads on to the end of the headers, so a
/// callback split inside its query string still completes the login, and
/// the browser gets the "Done" page.
#[test]
fn a_callback_arriving_in_two_pieces_is_read_whole() {
    let mut env = TestEnv::new();
    // Outside the test home: the browser's log holds the authorization code,
    // and the leak scan reads every file in the homes.
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("split-browser.py");
    executable(&path, SPLIT_BROWSER);
    env.set("BROWSER", path.to_str().unwrap());
    // Bounded: a listener that stops at the first piece answers it 400 and
    // keeps waiting for the browser, which has nothing more to send.
    let out = env
        .dc()
        .timeout(Duration::from_secs(30))
        .arg("login")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let log = std::fs::read_to_string(dir.join("browser.log")).unwrap_or_default();
    assert!(out.status.success(), "{err}\nbrowser: {log}");
    let page = page(&dir.join("page"));
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(
        page.contains("Done. You can close this tab and return to the terminal."),
        "{page}"
    );
    assert!(!page.contains("not completed"), "{page}");
}
