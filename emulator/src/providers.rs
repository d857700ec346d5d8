//! What the three fake provider APIs share: accepting only provider tokens
//! minted by the Token Vault emulation (unexpired, account still connected
//! and not revoked), relative sample-data times, and page slicing.

use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};

use crate::state::{App, ConnectedAccount, ProviderState};
use crate::wire::bearer;

/// Resolves the connected account behind a provider token, or `None`
/// (unknown, expired, wrong provider, account revoked or deleted).
pub fn account_for_token(
    app: &App,
    headers: &HeaderMap,
    fallback: Option<&str>,
    connection: &str,
) -> Option<(ConnectedAccount, DateTime<Utc>)> {
    let token = bearer(headers).or_else(|| fallback.map(str::to_string))?;
    let st = app.lock();
    let now = st.now();
    let pt = st.provider_tokens.get(&token)?;
    if pt.connection != connection || now >= pt.expires_at {
        return None;
    }
    let acc = st.accounts.iter().find(|a| a.id == pt.account_id)?;
    if acc.provider_state == ProviderState::Revoked {
        return None;
    }
    Some((acc.clone(), st.anchor()))
}

pub fn ago(anchor: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    anchor - Duration::minutes(minutes)
}

/// Slices `items` for 1-based `page` of size `per_page`; returns (slice, last page).
pub fn paginate<T: Clone>(items: &[T], page: usize, per_page: usize) -> (Vec<T>, usize) {
    let per_page = per_page.max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let start = (page.max(1) - 1) * per_page;
    let slice = items.iter().skip(start).take(per_page).cloned().collect();
    (slice, last)
}
