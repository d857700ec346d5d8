//! Who the sample user is at each provider: provider tokens in each
//! provider's format, the default identity per connection, and a second
//! identity when connecting with a `login_hint` that names another account.

use super::{GITHUB, GOOGLE, Identity, SLACK, USER_EMAIL, rand_alnum, rand_from, rand_lower_alnum};

pub fn mint_provider_token(connection: &str) -> String {
    match connection {
        GITHUB => format!("ghu_emu{}", rand_alnum(32)),
        SLACK => format!(
            "xoxp-emu-{}-{}-{}",
            rand_from(b"0123456789", 12),
            rand_from(b"0123456789", 12),
            rand_lower_alnum(32)
        ),
        GOOGLE => format!("ya29.emu{}", rand_alnum(40)),
        _ => format!("emu_pt_{}", rand_alnum(32)),
    }
}

/// The provider identity the sample user has on each connection.
pub fn default_identity(connection: &str) -> Identity {
    match connection {
        GITHUB => Identity {
            provider_user_id: "583231".into(),
            login: "dana-dev".into(),
            email: USER_EMAIL.into(),
            login_hint_aliases: vec!["dana-dev".into(), USER_EMAIL.into(), "github|583231".into()],
        },
        SLACK => Identity {
            provider_user_id: "U0DANA01".into(),
            login: "dana".into(),
            email: USER_EMAIL.into(),
            login_hint_aliases: vec![
                "dana".into(),
                USER_EMAIL.into(),
                "oauth2|sign-in-with-slack|U0DANA01".into(),
            ],
        },
        _ => Identity {
            provider_user_id: "108324567890123456789".into(),
            login: USER_EMAIL.into(),
            email: USER_EMAIL.into(),
            login_hint_aliases: vec![
                USER_EMAIL.into(),
                "google-oauth2|108324567890123456789".into(),
            ],
        },
    }
}

/// The identity selected by a `login_hint` given when connecting: the
/// default identity when the hint names it, otherwise a second account.
pub fn identity_for_hint(connection: &str, hint: Option<&str>) -> Identity {
    let def = default_identity(connection);
    let Some(hint) = hint.map(str::trim).filter(|h| !h.is_empty()) else {
        return def;
    };
    if def.provider_user_id == hint || def.login_hint_aliases.iter().any(|a| a == hint) {
        return def;
    }
    let local = hint.split('@').next().unwrap_or(hint).to_string();
    let email = if hint.contains('@') {
        hint.to_string()
    } else {
        format!("{local}@example.com")
    };
    let digest = crate::wire::sha256_hex(hint.as_bytes());
    let (id, login) = match connection {
        GITHUB => (
            u64::from_str_radix(&digest[..7], 16)
                .unwrap_or(7)
                .to_string(),
            local.clone(),
        ),
        SLACK => (format!("U0{}", digest[..7].to_uppercase()), local.clone()),
        _ => (format!("1{}", &digest[..20]), email.clone()),
    };
    let mut aliases = vec![login.clone(), email.clone(), hint.to_string()];
    aliases.dedup();
    Identity {
        provider_user_id: id,
        login,
        email,
        login_hint_aliases: aliases,
    }
}
