//! The arguments of the calendar tools, each checked before any request.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::Result;
use crate::providers::{check_limit, check_range, default_limit};
use crate::tools::ToolArgs;

fn default_days() -> u32 {
    7
}

fn default_events_limit() -> u32 {
    20
}

// ---------------------------------------------------------------- arguments

/// Arguments of `calendar.today`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TodayArgs {
    /// Most events to return (1-50)
    #[serde(default = "default_events_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for TodayArgs {
    fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

/// Arguments of `calendar.upcoming`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpcomingArgs {
    /// How many days ahead to look, from now (1-14)
    #[serde(default = "default_days")]
    #[schemars(range(min = 1, max = 14))]
    pub days: u32,
    /// Most events to return (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for UpcomingArgs {
    fn validate(&self) -> Result<()> {
        check_range("days", self.days, 1, 14)?;
        check_limit(self.limit)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::tools::parse_args;

    #[test]
    fn days_are_bounded() {
        let a: UpcomingArgs = parse_args(json!({})).unwrap();
        assert_eq!((a.days, a.limit), (7, 10));
        let e = parse_args::<UpcomingArgs>(json!({"days": 15})).unwrap_err();
        assert!(
            e.message.contains("days must be between 1 and 14"),
            "{}",
            e.message
        );
        assert_eq!(e.exit_code(), 2);
        let a: TodayArgs = parse_args(Value::Null).unwrap();
        assert_eq!(a.limit, 20);
    }
}
