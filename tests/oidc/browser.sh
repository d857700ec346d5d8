#!/bin/sh
# BROWSER for devcontext in tests/oidc_conformance.rs: returns at once (devcontext
# waits for its callback meanwhile); the headless walk runs in the background
# and logs to $OIDC_BROWSER_LOG.
python3 "$(dirname "$0")/browser.py" "$1" >>"${OIDC_BROWSER_LOG:-/dev/null}" 2>&1 </dev/null &
