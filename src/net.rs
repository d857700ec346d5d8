//! Outbound HTTP rules shared by every client devcontext builds: HTTPS only
//! (plain `http://` is allowed on loopback, where the emulator and local model
//! servers live), no credentials inside a URL, a timeout on every request, no
//! redirects on token endpoints, a byte cap on every body read, and path
//! segments from outside data percent-encoded (never able to change the path).

use std::net::IpAddr;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};

/// Parses `text` as an endpoint URL and refuses `http://` unless the host is loopback.
pub fn secure_url(text: &str, what: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|e| {
        Error::usage(format!("{what} '{text}' is not a valid URL: {e}"))
            .with_hint("use a full URL such as https://example.com")
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        // The URL is not echoed: its userinfo is a credential.
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(Error::usage(format!(
            "{what} {shown} carries a user name or password (user:pass@); \
             devcontext never sends credentials inside a URL"
        ))
        .with_hint("remove the user:pass@ part; API keys go in OPENAI_API_KEY, tenants log in with `devcontext login`"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::usage(format!(
            "{what} {text} uses plain http:// on a non-loopback host; credentials would travel unencrypted"
        ))
        .with_hint("use https://; http:// is accepted only for 127.0.0.1, ::1 and localhost")),
        other => Err(Error::usage(format!(
            "{what} '{text}' has unsupported scheme '{other}'"
        ))
        .with_hint("use https://")),
    }
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The Auth0 base URL from a configured domain: `tenant.us.auth0.com` means
/// `https://tenant.us.auth0.com`; a full URL is taken as is (and checked).
pub fn auth0_base(domain: &str) -> Result<Url> {
    let d = domain.trim().trim_end_matches('/');
    let text = if d.contains("://") {
        d.to_string()
    } else {
        format!("https://{d}")
    };
    let mut url = secure_url(&text, "Auth0 domain")?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Builds an HTTP client with the given timeout. `follow_redirects` is false
/// for every client that talks to token endpoints.
pub fn client(timeout: Duration, follow_redirects: bool) -> Result<reqwest::Client> {
    build(
        builder(follow_redirects)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10))),
    )
}

/// A client for plain-http loopback endpoints only: no TLS roots are loaded
/// (reading the system's certificates costs milliseconds), so an `https://`
/// URL fails with it. No redirects.
pub fn plain_http_client(timeout: Duration) -> Result<reqwest::Client> {
    build(
        builder(false)
            .tls_certs_only(Vec::<reqwest::Certificate>::new())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10))),
    )
}

/// A client for answers that stream for as long as they need (the model's):
/// no limit on the whole response, only on `idle` seconds of silence.
pub fn streaming_client(idle: Duration) -> Result<reqwest::Client> {
    build(
        builder(true)
            .read_timeout(idle)
            .connect_timeout(idle.min(Duration::from_secs(10))),
    )
}

fn builder(follow_redirects: bool) -> reqwest::ClientBuilder {
    install_crypto();
    let redirects = if follow_redirects {
        reqwest::redirect::Policy::custom(|attempt| {
            // Never follow a redirect that would downgrade to plain http off loopback.
            if attempt.url().scheme() == "https" || is_loopback(attempt.url()) {
                if attempt.previous().len() >= 5 {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            } else {
                attempt.stop()
            }
        })
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .redirect(redirects)
        .user_agent(concat!("devcontext/", env!("CARGO_PKG_VERSION")))
}

fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client> {
    builder
        .build()
        .map_err(|e| Error::general(format!("cannot build the HTTP client: {e}")))
}

/// Installs rustls' ring provider once (reqwest is built without a default one).
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The largest body read from Auth0 (token, discovery, userinfo, My
/// Account): real answers are a few KB.
pub const MAX_AUTH0_BODY: usize = 1024 * 1024;

/// Reads a response body, at most `max` bytes. `Ok(None)` when it is
/// larger: the caller says what that means. Reading stops at the first byte
/// over the cap, so an endless body costs `max` bytes of memory at most.
pub async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
    what: &str,
) -> Result<Option<Vec<u8>>> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(&e, what))?
    {
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// The error for a body over its cap (exit 5).
pub fn oversized(what: &str, max: usize) -> Error {
    Error::upstream(format!(
        "{what}: the answer is larger than {}; stopped reading it",
        human_bytes(max)
    ))
    .with_hint("check the configured URL; a proxy or server in between may be misbehaving")
}

/// "64 KB", "8 MB".
pub fn human_bytes(n: usize) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MB", n / (1024 * 1024))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// One path segment built from outside data (a GitHub login, a repository
/// name, an account id), percent-encoded. A value that would change the
/// path (empty, `.`, `..`, or holding `/` or `\`) is refused: URL parsers
/// treat `%2e%2e` like `..`, so encoding alone is not enough.
pub fn path_segment(value: &str) -> std::result::Result<String, String> {
    let shown = crate::sanitize::truncate(value, 60);
    if value.is_empty() {
        return Err("an empty path segment".into());
    }
    if value == "." || value == ".." {
        return Err(format!("the path segment '{shown}' would change the path"));
    }
    if value.contains(['/', '\\']) {
        return Err(format!(
            "the path segment '{}' holds a slash and would change the path",
            crate::sanitize::line(&shown)
        ));
    }
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// Turns a transport failure into a network error (exit 6) with a hint.
pub fn transport_error(e: &reqwest::Error, what: &str) -> Error {
    let host = e
        .url()
        .map(|u| u.host_str().unwrap_or("?").to_string())
        .unwrap_or_else(|| "the server".into());
    let why = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "failed".to_string()
    };
    Error::network(format!("{what}: request to {host} {why}"))
        .with_hint("check your network connection and the configured URL, then retry")
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Serves one answer on loopback, written in `pieces` with a short pause
    /// after each (so the client sees them as separate chunks), and returns
    /// its URL.
    async fn serve_once(pieces: Vec<Vec<u8>>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            for piece in pieces {
                // The reader may hang up once it has seen enough: stop then.
                if socket.write_all(&piece).await.is_err() || socket.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        format!("http://127.0.0.1:{port}/")
    }

    async fn read_from(url: String, max: usize) -> Option<Vec<u8>> {
        let client = plain_http_client(Duration::from_secs(10)).unwrap();
        let response = client.get(url).send().await.unwrap();
        read_capped(response, max, "test").await.unwrap()
    }

    /// Reads an answer of `body_len` bytes that says its Content-Length.
    async fn read_one(body_len: usize, max: usize) -> Option<Vec<u8>> {
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n");
        let url = serve_once(vec![head.into_bytes(), vec![b'x'; body_len]]).await;
        read_from(url, max).await
    }

    /// Reads a chunked answer (no Content-Length) sent in `chunks` of these sizes.
    async fn read_chunked(chunks: &[usize], max: usize) -> Option<Vec<u8>> {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        let mut pieces = vec![head.as_bytes().to_vec()];
        for &len in chunks {
            let mut piece = format!("{len:x}\r\n").into_bytes();
            piece.extend(vec![b'x'; len]);
            piece.extend(b"\r\n");
            pieces.push(piece);
        }
        pieces.push(b"0\r\n\r\n".to_vec());
        read_from(serve_once(pieces).await, max).await
    }

    /// A body of exactly the cap is read whole; one byte more is refused.
    #[tokio::test]
    async fn a_body_at_its_cap_is_read_and_one_byte_over_is_not() {
        assert_eq!(read_one(64, 64).await.map(|b| b.len()), Some(64));
        assert_eq!(read_one(65, 64).await, None);
        assert_eq!(read_one(0, 64).await.map(|b| b.len()), Some(0));
    }

    /// Without a Content-Length the cap is kept on what has arrived so far,
    /// over every chunk.
    #[tokio::test]
    async fn a_chunked_body_is_capped_on_its_running_total() {
        assert_eq!(read_chunked(&[32, 32], 64).await.map(|b| b.len()), Some(64));
        assert_eq!(read_chunked(&[1, 64], 64).await, None);
        assert_eq!(read_chunked(&[65], 64).await, None);
        assert_eq!(read_chunked(&[20, 20, 25], 64).await, None);
    }

    /// Clients for token endpoints hand a redirect back to the caller
    /// instead of following it (a token request must not be replayed to
    /// another address).
    #[tokio::test]
    async fn clients_for_token_endpoints_follow_no_redirect() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let answer = "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        let timeout = Duration::from_secs(10);
        for (name, client) in [
            ("plain_http_client", plain_http_client(timeout).unwrap()),
            ("client(.., false)", client(timeout, false).unwrap()),
        ] {
            let response = client
                .post(format!("http://127.0.0.1:{port}/oauth/token"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{name} followed the redirect: {e}"));
            assert_eq!(response.status(), 302, "{name}");
        }
        server.abort();
    }

    #[test]
    fn http_only_on_loopback() {
        assert!(secure_url("https://api.github.com", "x").is_ok());
        assert!(secure_url("http://127.0.0.1:8080", "x").is_ok());
        assert!(secure_url("http://127.3.4.5:8080", "x").is_ok());
        assert!(secure_url("http://[::1]:8080", "x").is_ok());
        assert!(secure_url("http://localhost:8080", "x").is_ok());
        assert!(secure_url("http://example.com", "x").is_err());
        assert!(secure_url("http://10.0.0.1", "x").is_err());
        assert!(secure_url("http://127.0.0.1.evil.com", "x").is_err());
        assert!(secure_url("ftp://127.0.0.1", "x").is_err());
        assert_eq!(
            auth0_base("t.us.auth0.com").unwrap().as_str(),
            "https://t.us.auth0.com/"
        );
        assert!(auth0_base("http://t.us.auth0.com").is_err());
    }

    #[test]
    fn hosts_that_only_look_like_loopback_are_not_loopback() {
        for text in [
            "http://localhost.evil.example",
            "http://localhost.evil.example:8080/x",
            "http://localhostx",
            "http://xlocalhost",
            "http://localhost.",
            "http://127.0.0.1.evil.com",
            "http://127.0.0.1.nip.io",
            "http://0x7f.evil.example",
            "http://128.0.0.1",
            "http://[::2]",
            "http://[::ffff:10.0.0.1]",
        ] {
            let url = Url::parse(text).unwrap();
            assert!(!is_loopback(&url), "{text}");
            let e = secure_url(text, "x").unwrap_err();
            assert!(e.message.contains("plain http://"), "{text}: {}", e.message);
        }
        // `[::1].evil` is not a URL at all.
        assert!(secure_url("http://[::1].evil", "x").is_err());
        for text in [
            "http://LOCALHOST:1",
            "http://127.255.255.254",
            "http://[0:0:0:0:0:0:0:1]",
        ] {
            assert!(is_loopback(&Url::parse(text).unwrap()), "{text}");
        }
    }

    /// A server that accepts and then says nothing: the streaming client
    /// gives up after `idle` of silence (the model's client; `ask` uses at
    /// least two minutes, too long for an end-to-end test).
    #[tokio::test]
    async fn the_streaming_client_gives_up_on_silence() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        install_crypto(); // as any earlier client would have (so only the timeout differs)
        let client = streaming_client(Duration::from_millis(300)).unwrap();
        let request = client.get(format!("http://{addr}/v1/models")).send();
        let answer = tokio::time::timeout(Duration::from_secs(10), request)
            .await
            .expect("no answer in 10 s: the client waits for ever");
        let e = answer.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        server.abort();
    }

    #[test]
    fn userinfo_in_a_base_url_is_refused_without_echoing_it() {
        for bad in [
            "https://user:hunter2@api.example.com/v1",
            "https://user@api.example.com",
            "http://:hunter2@127.0.0.1:8080",
        ] {
            let e = secure_url(bad, "model base URL").unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.message.contains("user:pass@"), "{}", e.message);
            assert!(!e.message.contains("hunter2"), "{}", e.message);
        }
        assert!(auth0_base("user:pw@t.us.auth0.com").is_err());
    }

    #[test]
    fn path_segments_are_encoded_and_cannot_change_the_path() {
        assert_eq!(path_segment("octocat").unwrap(), "octocat");
        assert_eq!(path_segment("a b?c#d%").unwrap(), "a%20b%3Fc%23d%25");
        assert_eq!(path_segment("dépôt").unwrap(), "d%C3%A9p%C3%B4t");
        assert_eq!(path_segment("web.v2").unwrap(), "web.v2");
        for bad in ["", ".", "..", "a/b", "../x", "a\\b"] {
            assert!(path_segment(bad).is_err(), "{bad}");
        }
        assert_eq!(human_bytes(8 * 1024 * 1024), "8 MB");
        assert_eq!(human_bytes(64 * 1024), "64 KB");
        // Only whole units: anything else is said in bytes.
        assert_eq!(human_bytes(1024 * 1024 + 1024), "1025 KB");
        assert_eq!(human_bytes(1024 * 1024 + 2048), "1026 KB");
        assert_eq!(human_bytes(1024), "1 KB");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1536), "1536 bytes");
        assert_eq!(human_bytes(2048 + 1), "2049 bytes");
        assert_eq!(human_bytes(0), "0 bytes");
    }
}
