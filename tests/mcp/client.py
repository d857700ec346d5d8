"""An MCP client we did not write (the official Python SDK, `mcp` on PyPI)
driving `devcontext mcp` over stdio for tests/mcp.rs.

Usage: client.py SPEC.json SCENARIO
SPEC.json: {"command": ..., "args": [...], "env": {...}} to spawn the server,
and "devcontext": [...] to run other devcontext commands (perms, audit) in the
same home. Prints one JSON object on stdout with what it saw; exits non-zero
with a message when the SDK itself fails.
"""

import asyncio
import json
import re
import shlex
import subprocess
import sys

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
import mcp_types as types


def load_spec(path):
    with open(path) as f:
        return json.load(f)


def run_devcontext(spec, *args):
    out = subprocess.run(
        spec["devcontext"] + list(args),
        env=spec["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return {"code": out.returncode, "stdout": out.stdout, "stderr": out.stderr}


def hinted_command(result):
    """The `devcontext ...` command a tool error's hint names, as arguments."""
    for text in result["texts"]:
        m = re.search(r"`devcontext ([^`]+)`", text)
        if m:
            return shlex.split(m.group(1))
    return None


def result_json(result):
    return {
        "is_error": bool(result.is_error),
        "texts": [c.text for c in result.content if getattr(c, "type", "") == "text"],
        "structured": result.structured_content,
    }


def tool_json(tool):
    a = tool.annotations
    return {
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "output_schema": tool.output_schema,
        "annotations": None
        if a is None
        else {
            "readOnlyHint": a.read_only_hint,
            "destructiveHint": a.destructive_hint,
            "idempotentHint": a.idempotent_hint,
            "openWorldHint": a.open_world_hint,
        },
    }


async def session(spec, scenario, elicitation_answer=None):
    params = StdioServerParameters(
        command=spec["command"], args=spec["args"], env=spec["env"]
    )
    seen = {"notifications": [], "elicitations": []}

    async def on_message(message):
        if isinstance(message, Exception):
            return
        root = getattr(message, "root", message)
        method = getattr(root, "method", None)
        if method:
            seen["notifications"].append(method)

    elicit = None
    if elicitation_answer is not None:

        async def elicit(context, params):
            seen["elicitations"].append(
                {"message": params.message, "schema": params.requested_schema}
            )
            action, content = elicitation_answer.pop(0)
            return types.ElicitResult(action=action, content=content)

    async with stdio_client(params) as (read, write):
        async with ClientSession(
            read,
            write,
            elicitation_callback=elicit,
            message_handler=on_message,
            client_info=types.Implementation(name="dc-test-client", version="9.8.7"),
        ) as s:
            init = await s.initialize()
            seen["server"] = {
                "name": init.server_info.name,
                "protocol": init.protocol_version,
                "list_changed": bool(
                    init.capabilities.tools and init.capabilities.tools.list_changed
                ),
            }
            await s.send_ping()
            out = await scenario(s, seen)
            seen.update(out or {})
    return seen


async def list_and_read(s, seen):
    tools = await s.list_tools()
    first = await s.call_tool("github_review_requests", {"limit": 3})
    mine = await s.call_tool("github_my_pull_requests", {})
    cal = await s.call_tool("calendar_today", {})
    bad = await s.call_tool("github_review_requests", {"limit": "many"})
    return {
        "tools": [tool_json(t) for t in tools.tools],
        "review_requests": result_json(first),
        "my_pull_requests": result_json(mine),
        "calendar_today": result_json(cal),
        "bad_args": result_json(bad),
    }


def revoke_between(spec):
    async def scenario(s, seen):
        before = await s.list_tools()
        first = await s.call_tool("slack_unread", {})
        revoke = run_devcontext(spec, "perms", "revoke", "slack")
        second = await s.call_tool("slack_unread", {})
        # the watcher looks once a second; give it a few
        for _ in range(50):
            if "notifications/tools/list_changed" in seen["notifications"]:
                break
            await anyio.sleep(0.1)
        after = await s.list_tools()
        # follow the hint the error gives, whatever command it names
        hinted = hinted_command(result_json(second))
        grant = run_devcontext(spec, *hinted) if hinted else {"code": -1, "hint": None}
        grant["hinted"] = hinted
        third = await s.call_tool("slack_unread", {})
        return {
            "before": [t.name for t in before.tools],
            "first": result_json(first),
            "revoke": revoke,
            "second": result_json(second),
            "after": [t.name for t in after.tools],
            "grant": grant,
            "third": result_json(third),
        }

    return scenario


async def post(s, seen):
    res = await s.call_tool(
        "slack_post_message", {"channel": "#general", "text": "shipped from mcp"}
    )
    return {"post": result_json(res)}


async def post_twice(s, seen):
    first = await s.call_tool(
        "slack_post_message", {"channel": "#general", "text": "approved via elicitation"}
    )
    second = await s.call_tool(
        "slack_post_message", {"channel": "#general", "text": "declined via elicitation"}
    )
    return {"first": result_json(first), "second": result_json(second)}


async def unknown_tool(s, seen):
    try:
        await s.call_tool("slack_delete_everything", {})
        return {"unknown": "no error"}
    except Exception as e:  # the SDK raises on a JSON-RPC error
        return {"unknown": str(e)}


async def read_only(s, seen):
    tools = await s.list_tools()
    try:
        await s.call_tool(
            "slack_post_message", {"channel": "#general", "text": "should not post"}
        )
        refused = "no error"
    except Exception as e:
        refused = str(e)
    return {"tools": [t.name for t in tools.tools], "refused": refused}


def main():
    spec = load_spec(sys.argv[1])
    name = sys.argv[2]
    if name == "list_and_read":
        seen = asyncio.run(session(spec, list_and_read))
    elif name == "revoke_between":
        seen = asyncio.run(session(spec, revoke_between(spec)))
    elif name == "post_no_elicitation":
        seen = asyncio.run(session(spec, post))
    elif name == "post_elicited":
        answers = [("accept", {"approve": True}), ("decline", None)]
        seen = asyncio.run(session(spec, post_twice, elicitation_answer=answers))
    elif name == "unknown_tool":
        seen = asyncio.run(session(spec, unknown_tool))
    elif name == "read_only":
        seen = asyncio.run(session(spec, read_only))
    else:
        sys.exit(f"unknown scenario {name}")
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
