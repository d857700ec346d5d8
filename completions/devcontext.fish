# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_devcontext_global_optspecs
    string join \n v/verbose no-color h/help V/version
end

function __fish_devcontext_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_devcontext_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_devcontext_using_subcommand
    set -l cmd (__fish_devcontext_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c devcontext -n "__fish_devcontext_needs_command" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_needs_command" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_needs_command" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_needs_command" -s V -l version -d 'Print version'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "login" -d 'Log in to Auth0 (browser with PKCE, or --device for machines without one)'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "config" -d 'Set up the Auth0 tenant interactively (the secret goes to the credential store)'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "logout" -d 'Revoke the session at Auth0 and delete local credentials'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "connect" -d 'Link GitHub, Slack or Google to your Auth0 account (Connected Accounts)'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "connections" -d 'List the accounts linked through Connected Accounts'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "disconnect" -d 'Unlink a service from your Auth0 account (removes its tokens from Token Vault)'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "status" -d 'Show where devcontext keeps its files, the session and each service\'s state'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "perms" -d 'Allow or block the assistant per service and per tool'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "ask" -d 'Ask the assistant a question; it reads your services through the broker'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "tools" -d 'List the tools the assistant can use, with read/write and the current permission'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "tool" -d 'Call one tool directly through the broker (permission check, exchange, audit)'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "audit" -d 'Query, verify and prune the audit store'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c devcontext -n "__fish_devcontext_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devcontext -n "__fish_devcontext_using_subcommand login" -l device -d 'Use the Device Authorization Grant (prints a code to confirm on another device)'
complete -c devcontext -n "__fish_devcontext_using_subcommand login" -l no-browser -d 'Print the sign-in URL instead of opening a browser'
complete -c devcontext -n "__fish_devcontext_using_subcommand login" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand login" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand login" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand config" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand config" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand config" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand logout" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand logout" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand logout" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand connect" -l scopes -d 'Provider scopes to request instead of the least-privilege defaults (comma separated)' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand connect" -l no-browser -d 'Print the consent URL instead of opening a browser'
complete -c devcontext -n "__fish_devcontext_using_subcommand connect" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand connect" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand connect" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand connect" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand connections" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand connections" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand connections" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand connections" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand disconnect" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand disconnect" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand disconnect" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand status" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand status" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand status" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand status" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and not __fish_seen_subcommand_from list revoke grant check help" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and not __fish_seen_subcommand_from list revoke grant check help" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and not __fish_seen_subcommand_from list revoke grant check help" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and not __fish_seen_subcommand_from list revoke grant check help" -f -a "list" -d 'Show each service\'s state, what reads and writes are allowed, and tool rules'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and not __fish_seen_subcommand_from list revoke grant check help" -f -a "revoke" -d 'Block the assistant from a service or a tool (instant, persistent)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and not __fish_seen_subcommand_from list revoke grant check help" -f -a "grant" -d 'Allow a service or a tool again, optionally only for a while'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and not __fish_seen_subcommand_from list revoke grant check help" -f -a "check" -d 'Answer whether a call would be allowed now (exit 0 yes, 7 no); audited'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and not __fish_seen_subcommand_from list revoke grant check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from list" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from revoke" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from revoke" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from grant" -l for -d 'Let the grant lapse after this long (30m, 2h, 7d)' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from grant" -l write -d 'For a service: also allow its write tools without asking'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from grant" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from grant" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from grant" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from grant" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from check" -l write -d 'Check a write rather than a read'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from check" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from check" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from help" -f -a "list" -d 'Show each service\'s state, what reads and writes are allowed, and tool rules'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Block the assistant from a service or a tool (instant, persistent)'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from help" -f -a "grant" -d 'Allow a service or a tool again, optionally only for a while'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from help" -f -a "check" -d 'Answer whether a call would be allowed now (exit 0 yes, 7 no); audited'
complete -c devcontext -n "__fish_devcontext_using_subcommand perms; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devcontext -n "__fish_devcontext_using_subcommand ask" -l model -d 'Model name [default: DEVCONTEXT_MODEL, the config, else the first the endpoint lists]' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand ask" -l max-steps -d 'Most model requests before giving up with exit 8 [default: 8]' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand ask" -l json -d 'Print one JSON object (answer, model, steps, tool calls, usage, run id) instead of streaming'
complete -c devcontext -n "__fish_devcontext_using_subcommand ask" -s q -l quiet -d 'No progress lines on stderr'
complete -c devcontext -n "__fish_devcontext_using_subcommand ask" -l yes -d 'DANGEROUS: approve every write the model asks for (posting, commenting) without asking'
complete -c devcontext -n "__fish_devcontext_using_subcommand ask" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand ask" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand ask" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand tools" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand tools" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand tools" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand tools" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand tool" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand tool" -l yes -d 'Approve a write (posting, commenting) without asking'
complete -c devcontext -n "__fish_devcontext_using_subcommand tool" -s h -l help -d 'Print help (after SERVICE TOOL: the tool\'s own flags)'
complete -c devcontext -n "__fish_devcontext_using_subcommand tool" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand tool" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l service -d 'Only events of this service (github, calendar, slack)' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l tool -d 'Only events of this tool (slack.post_message)' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l action -d 'Only events of this action (permission_check, token_exchange, api_call, ...)' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l decision -d 'Only events with this decision (granted, denied, error)' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l since -d 'Only events at or after this time (24h, 7d, 2026-11-01, RFC 3339)' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l until -d 'Only events before this time (same forms as --since)' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l run -d 'Only events of this run id' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l limit -d 'At most this many events, newest first [default: 50; none for --ndjson]' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l json -d 'Print a JSON array'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l ndjson -d 'Print one JSON event per line, streamed'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -f -a "verify" -d 'Recompute the hash chain; exit 1 and name the first bad event if broken'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -f -a "prune" -d 'Delete events older than a time, keeping a chain that still verifies'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from verify" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from verify" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from prune" -l before -d 'Delete events before this time (90d, 2026-08-01, RFC 3339)' -r
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from prune" -l json -d 'Print JSON instead of a table'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from prune" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Recompute the hash chain; exit 1 and name the first bad event if broken'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Delete events older than a time, keeping a chain that still verifies'
complete -c devcontext -n "__fish_devcontext_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devcontext -n "__fish_devcontext_using_subcommand completions" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand completions" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand completions" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand man" -s v -l verbose -d 'Print debug logs on stderr (secrets are never logged)'
complete -c devcontext -n "__fish_devcontext_using_subcommand man" -l no-color -d 'Turn off colours (NO_COLOR in the environment does the same)'
complete -c devcontext -n "__fish_devcontext_using_subcommand man" -s h -l help -d 'Print help'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "login" -d 'Log in to Auth0 (browser with PKCE, or --device for machines without one)'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "config" -d 'Set up the Auth0 tenant interactively (the secret goes to the credential store)'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "logout" -d 'Revoke the session at Auth0 and delete local credentials'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "connect" -d 'Link GitHub, Slack or Google to your Auth0 account (Connected Accounts)'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "connections" -d 'List the accounts linked through Connected Accounts'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "disconnect" -d 'Unlink a service from your Auth0 account (removes its tokens from Token Vault)'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "status" -d 'Show where devcontext keeps its files, the session and each service\'s state'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "perms" -d 'Allow or block the assistant per service and per tool'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "ask" -d 'Ask the assistant a question; it reads your services through the broker'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "tools" -d 'List the tools the assistant can use, with read/write and the current permission'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "tool" -d 'Call one tool directly through the broker (permission check, exchange, audit)'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "audit" -d 'Query, verify and prune the audit store'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and not __fish_seen_subcommand_from login config logout connect connections disconnect status perms ask tools tool audit completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and __fish_seen_subcommand_from perms" -f -a "list" -d 'Show each service\'s state, what reads and writes are allowed, and tool rules'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and __fish_seen_subcommand_from perms" -f -a "revoke" -d 'Block the assistant from a service or a tool (instant, persistent)'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and __fish_seen_subcommand_from perms" -f -a "grant" -d 'Allow a service or a tool again, optionally only for a while'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and __fish_seen_subcommand_from perms" -f -a "check" -d 'Answer whether a call would be allowed now (exit 0 yes, 7 no); audited'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify" -d 'Recompute the hash chain; exit 1 and name the first bad event if broken'
complete -c devcontext -n "__fish_devcontext_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "prune" -d 'Delete events older than a time, keeping a chain that still verifies'
