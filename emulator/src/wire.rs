//! Small wire-level helpers shared by all handlers: request parameter
//! parsing (form or JSON), client credentials, OAuth / RFC 7807 / provider
//! error bodies, HS256 JWTs, PKCE, cursors and time formatting.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub type Params = HashMap<String, String>;

pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

pub fn is_json(headers: &HeaderMap) -> bool {
    let ct = content_type(headers);
    ct.starts_with("application/json") || (ct.starts_with("application/") && ct.contains("+json"))
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => Some(a.iter().filter_map(scalar).collect::<Vec<_>>().join(" ")),
        other => Some(other.to_string()),
    }
}

/// Parses a request body as JSON (when the content type says so) or as
/// `application/x-www-form-urlencoded` (everything else).
pub fn parse_params(headers: &HeaderMap, body: &[u8]) -> Result<Params, String> {
    let mut out = Params::new();
    if is_json(headers) {
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(out);
        }
        let v: Value =
            serde_json::from_slice(body).map_err(|e| format!("Invalid JSON body: {e}"))?;
        let Value::Object(map) = v else {
            return Err("JSON body must be an object".into());
        };
        for (k, v) in map {
            if let Some(s) = scalar(&v) {
                out.insert(k, s);
            }
        }
    } else {
        for (k, v) in url::form_urlencoded::parse(body) {
            out.insert(k.into_owned(), v.into_owned());
        }
    }
    Ok(out)
}

pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn query_map(query: Option<&str>) -> Params {
    query_pairs(query).into_iter().collect()
}

/// Query parameters merged with body parameters (body wins).
pub fn all_params(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Params {
    let mut p = query_map(query);
    if let Ok(b) = parse_params(headers, body) {
        p.extend(b);
    }
    p
}

pub fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let a = authorization(headers)?.trim();
    let (scheme, rest) = a.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
        let t = rest.trim();
        (!t.is_empty()).then(|| t.to_string())
    } else {
        None
    }
}

/// `Authorization: Basic base64(id:secret)` (ids and secrets form-urlencoded per RFC 6749 §2.3.1).
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let a = authorization(headers)?.trim();
    let (scheme, rest) = a.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = STANDARD.decode(rest.trim()).ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (id, secret) = s.split_once(':')?;
    let dec = |x: &str| {
        url::form_urlencoded::parse(format!("x={x}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| x.to_string())
    };
    Some((dec(id), dec(secret)))
}

pub fn no_store(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

/// OAuth-style error: `{"error": ..., "error_description": ...}`.
pub fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    no_store(
        (
            status,
            axum::Json(json!({"error": error, "error_description": description})),
        )
            .into_response(),
    )
}

pub fn json_response(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, axum::Json(body)).into_response()
}

/// RFC 7807 problem document as used by the My Account API.
pub fn problem(
    status: u16,
    code: &str,
    title: &str,
    detail: &str,
    extra: Option<Value>,
) -> Response {
    let mut body = json!({
        "type": format!("https://auth0.com/api-errors/{code}"),
        "status": status,
        "title": title,
        "detail": detail,
    });
    if let (Some(Value::Object(extra)), Value::Object(b)) = (extra, &mut body) {
        b.extend(extra);
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

pub fn html(status: u16, title: &str, body: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let page = format!(
        "<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>"
    );
    (status, axum::response::Html(page)).into_response()
}

pub fn redirect(location: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Appends query parameters to a URL (keeping its existing ones).
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => base.to_string(),
    }
}

/// A loopback http redirect URI (`http://127.0.0.1:<port>/...`, `http://localhost:...`, `http://[::1]:...`).
pub fn is_loopback_redirect(uri: &str) -> bool {
    let Ok(u) = url::Url::parse(uri) else {
        return false;
    };
    if u.scheme() != "http" || u.fragment().is_some() {
        return false;
    }
    matches!(
        u.host_str(),
        Some("127.0.0.1") | Some("localhost") | Some("[::1]")
    )
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let ih = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(ih);
    outer.finalize().into()
}

/// HS256 JWT with the per-run key.
pub fn jwt_sign(key: &[u8], claims: &Value) -> String {
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": "emu-hs256"});
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let sig = hmac_sha256(key, signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(&sig))
}

/// Opaque pagination cursor for an offset.
pub fn cursor_encode(offset: usize) -> String {
    b64url(format!("emu-offset:{offset}").as_bytes())
}

pub fn cursor_decode(c: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(c.trim_end_matches('=')).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("emu-offset:")?
        .parse()
        .ok()
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn rfc3339_s(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Splits a scope string on spaces and commas, dropping empties and duplicates.
pub fn split_scopes(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in s.split([' ', ',']) {
        let p = p.trim();
        if !p.is_empty() && !out.iter().any(|x| x == p) {
            out.push(p.to_string());
        }
    }
    out
}
