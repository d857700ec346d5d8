
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'devcontext' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'devcontext'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'devcontext' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to Auth0 (browser with PKCE, or --device for machines without one)')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Set up the Auth0 tenant interactively (the secret goes to the credential store)')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the session at Auth0 and delete local credentials')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Link GitHub, Slack or Google to your Auth0 account (Connected Accounts)')
            [CompletionResult]::new('connections', 'connections', [CompletionResultType]::ParameterValue, 'List the accounts linked through Connected Accounts')
            [CompletionResult]::new('disconnect', 'disconnect', [CompletionResultType]::ParameterValue, 'Unlink a service from your Auth0 account (removes its tokens from Token Vault)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show where devcontext keeps its files, the session and each service''s state')
            [CompletionResult]::new('perms', 'perms', [CompletionResultType]::ParameterValue, 'Allow or block the assistant per service and per tool')
            [CompletionResult]::new('ask', 'ask', [CompletionResultType]::ParameterValue, 'Ask the assistant a question; it reads your services through the broker')
            [CompletionResult]::new('mcp', 'mcp', [CompletionResultType]::ParameterValue, 'Serve the tools to an AI agent over the Model Context Protocol (stdio)')
            [CompletionResult]::new('tools', 'tools', [CompletionResultType]::ParameterValue, 'List the tools the assistant can use, with read/write and the current permission')
            [CompletionResult]::new('tool', 'tool', [CompletionResultType]::ParameterValue, 'Call one tool directly through the broker (permission check, exchange, audit)')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Query, verify and prune the audit store')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the tenant and the local state; one line per check with the fix for each ✗')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Configure the Auth0 tenant through the Management API (idempotent, --dry-run)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devcontext;login' {
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Use the Device Authorization Grant (prints a code to confirm on another device)')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Print the sign-in URL instead of opening a browser')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;config' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;logout' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;connect' {
            [CompletionResult]::new('--scopes', '--scopes', [CompletionResultType]::ParameterName, 'Provider scopes to request instead of the least-privilege defaults (comma separated)')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Print the consent URL instead of opening a browser')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;connections' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;disconnect' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;status' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;perms' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show each service''s state, what reads and writes are allowed, and tool rules')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Block the assistant from a service or a tool (instant, persistent)')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Allow a service or a tool again, optionally only for a while')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove a service''s or a tool''s rules so the defaults apply again (reads allowed, writes ask)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Answer whether a call would be allowed now (exit 0 yes, 7 no); audited')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devcontext;perms;list' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;perms;revoke' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;perms;grant' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Let the grant lapse after this long (30m, 2h, 7d)')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'For a service: also allow its write tools without asking')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;perms;reset' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;perms;check' {
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Check a write rather than a read')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;perms;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show each service''s state, what reads and writes are allowed, and tool rules')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Block the assistant from a service or a tool (instant, persistent)')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Allow a service or a tool again, optionally only for a while')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove a service''s or a tool''s rules so the defaults apply again (reads allowed, writes ask)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Answer whether a call would be allowed now (exit 0 yes, 7 no); audited')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devcontext;perms;help;list' {
            break
        }
        'devcontext;perms;help;revoke' {
            break
        }
        'devcontext;perms;help;grant' {
            break
        }
        'devcontext;perms;help;reset' {
            break
        }
        'devcontext;perms;help;check' {
            break
        }
        'devcontext;perms;help;help' {
            break
        }
        'devcontext;ask' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model name [default: DEVCONTEXT_MODEL, the config, else the first the endpoint lists]')
            [CompletionResult]::new('--max-steps', '--max-steps', [CompletionResultType]::ParameterName, 'Most model requests before giving up with exit 8 [default: 8]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object (answer, model, steps, tool calls, usage, run id) instead of streaming')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress lines on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress lines on stderr')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Offer the model the write tools too (posting, commenting); each write still needs approval. Without it the model sees read tools only [default: [model] offer_writes]')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'DANGEROUS: approve every write the model asks for (posting, commenting) without asking')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;mcp' {
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (github, calendar, slack), comma-separated')
            [CompletionResult]::new('--tools', '--tools', [CompletionResultType]::ParameterName, 'Only these tools (slack_unread or slack.unread), comma-separated')
            [CompletionResult]::new('--exclude-tools', '--exclude-tools', [CompletionResultType]::ParameterName, 'Never these tools, comma-separated')
            [CompletionResult]::new('--read-only', '--read-only', [CompletionResultType]::ParameterName, 'Offer read tools only: write tools are not listed and are refused if called')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;tools' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;tool' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Approve a write (posting, commenting) without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (after SERVICE TOOL: the tool''s own flags)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (after SERVICE TOOL: the tool''s own flags)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            break
        }
        'devcontext;audit' {
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only events of this service (github, calendar, slack)')
            [CompletionResult]::new('--tool', '--tool', [CompletionResultType]::ParameterName, 'Only events of this tool (slack.post_message)')
            [CompletionResult]::new('--action', '--action', [CompletionResultType]::ParameterName, 'Only events of this action (permission_check, token_exchange, api_call, ...)')
            [CompletionResult]::new('--decision', '--decision', [CompletionResultType]::ParameterName, 'Only events with this decision (granted, denied, error)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events at or after this time (24h, 7d, 2026-11-01, RFC 3339)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only events before this time (same forms as --since)')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Only events of this run id')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many events, newest first; 0 for all [default: 50; all for --ndjson]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Print one JSON event per line, streamed')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Recompute the hash chain; exit 1 and name the first bad event if broken')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete events older than a time, keeping a chain that still verifies')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Ship pending events to the OpenTelemetry collector; exit 5 or 6 if some remain')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devcontext;audit;verify' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;audit;prune' {
            [CompletionResult]::new('--before', '--before', [CompletionResultType]::ParameterName, 'Delete events before this time (90d, 2026-08-01, RFC 3339)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;audit;export' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Show the pending count, the last delivery and the last error; send nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;audit;help' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Recompute the hash chain; exit 1 and name the first bad event if broken')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete events older than a time, keeping a chain that still verifies')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Ship pending events to the OpenTelemetry collector; exit 5 or 6 if some remain')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devcontext;audit;help;verify' {
            break
        }
        'devcontext;audit;help;prune' {
            break
        }
        'devcontext;audit;help;export' {
            break
        }
        'devcontext;audit;help;help' {
            break
        }
        'devcontext;doctor' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (stable field names, for scripts) instead of text for people')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;setup' {
            [CompletionResult]::new('--management-token', '--management-token', [CompletionResultType]::ParameterName, 'A Management API token (prefer the environment variable: a flag shows in `ps`); without one, the machine-to-machine application in DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID / _SECRET gets one')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would change, and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of text')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;completions' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;man' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print debug logs on stderr (secrets are never logged)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Turn off colours (NO_COLOR in the environment does the same)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC instead of the local time zone (JSON is always UTC)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devcontext;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to Auth0 (browser with PKCE, or --device for machines without one)')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Set up the Auth0 tenant interactively (the secret goes to the credential store)')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the session at Auth0 and delete local credentials')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Link GitHub, Slack or Google to your Auth0 account (Connected Accounts)')
            [CompletionResult]::new('connections', 'connections', [CompletionResultType]::ParameterValue, 'List the accounts linked through Connected Accounts')
            [CompletionResult]::new('disconnect', 'disconnect', [CompletionResultType]::ParameterValue, 'Unlink a service from your Auth0 account (removes its tokens from Token Vault)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show where devcontext keeps its files, the session and each service''s state')
            [CompletionResult]::new('perms', 'perms', [CompletionResultType]::ParameterValue, 'Allow or block the assistant per service and per tool')
            [CompletionResult]::new('ask', 'ask', [CompletionResultType]::ParameterValue, 'Ask the assistant a question; it reads your services through the broker')
            [CompletionResult]::new('mcp', 'mcp', [CompletionResultType]::ParameterValue, 'Serve the tools to an AI agent over the Model Context Protocol (stdio)')
            [CompletionResult]::new('tools', 'tools', [CompletionResultType]::ParameterValue, 'List the tools the assistant can use, with read/write and the current permission')
            [CompletionResult]::new('tool', 'tool', [CompletionResultType]::ParameterValue, 'Call one tool directly through the broker (permission check, exchange, audit)')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Query, verify and prune the audit store')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the tenant and the local state; one line per check with the fix for each ✗')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Configure the Auth0 tenant through the Management API (idempotent, --dry-run)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devcontext;help;login' {
            break
        }
        'devcontext;help;config' {
            break
        }
        'devcontext;help;logout' {
            break
        }
        'devcontext;help;connect' {
            break
        }
        'devcontext;help;connections' {
            break
        }
        'devcontext;help;disconnect' {
            break
        }
        'devcontext;help;status' {
            break
        }
        'devcontext;help;perms' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show each service''s state, what reads and writes are allowed, and tool rules')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Block the assistant from a service or a tool (instant, persistent)')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Allow a service or a tool again, optionally only for a while')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove a service''s or a tool''s rules so the defaults apply again (reads allowed, writes ask)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Answer whether a call would be allowed now (exit 0 yes, 7 no); audited')
            break
        }
        'devcontext;help;perms;list' {
            break
        }
        'devcontext;help;perms;revoke' {
            break
        }
        'devcontext;help;perms;grant' {
            break
        }
        'devcontext;help;perms;reset' {
            break
        }
        'devcontext;help;perms;check' {
            break
        }
        'devcontext;help;ask' {
            break
        }
        'devcontext;help;mcp' {
            break
        }
        'devcontext;help;tools' {
            break
        }
        'devcontext;help;tool' {
            break
        }
        'devcontext;help;audit' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Recompute the hash chain; exit 1 and name the first bad event if broken')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete events older than a time, keeping a chain that still verifies')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Ship pending events to the OpenTelemetry collector; exit 5 or 6 if some remain')
            break
        }
        'devcontext;help;audit;verify' {
            break
        }
        'devcontext;help;audit;prune' {
            break
        }
        'devcontext;help;audit;export' {
            break
        }
        'devcontext;help;doctor' {
            break
        }
        'devcontext;help;setup' {
            break
        }
        'devcontext;help;completions' {
            break
        }
        'devcontext;help;man' {
            break
        }
        'devcontext;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
