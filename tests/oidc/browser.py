#!/usr/bin/env python3
"""A headless "browser" for oidc-provider's development interactions.

    python3 tests/oidc/browser.py AUTHORIZATION_URL

Fetches the authorization URL with a cookie jar and no automatic redirects,
then walks every hop itself: the login form (any login and password), the
consent form, and finally the redirect to the client's loopback callback
(http://127.0.0.1:PORT/callback?code=...&state=...), which it requests so the
waiting client receives the code. Standard library only. Every hop is logged
on stderr.

If the walk breaks before reaching the callback (an unexpected page, a
provider error page), it reports that on stderr, exits 1 and also sends
`error=conformance_browser_failed` to the redirect_uri of the authorization
URL, so the client stops waiting instead of timing out.
"""

import html.parser
import http.cookiejar
import sys
import urllib.error
import urllib.parse
import urllib.request

LOGIN = "alice"
PASSWORD = "conformance"
MAX_HOPS = 20
TIMEOUT = 15


def log(msg):
    print(f"browser: {msg}", file=sys.stderr, flush=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class FormParser(html.parser.HTMLParser):
    """Collects the first form: its action, method and inputs."""

    def __init__(self):
        super().__init__()
        self.form = None
        self.done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.form is None:
            self.form = {"action": a.get("action", ""), "method": (a.get("method") or "get").lower(), "inputs": []}
        elif tag == "input" and self.form is not None and not self.done:
            self.form["inputs"].append(a)

    def handle_endtag(self, tag):
        if tag == "form" and self.form is not None:
            self.done = True


def redacted(url):
    """The URL without its query values (codes and states stay out of logs)."""
    u = urllib.parse.urlsplit(url)
    keys = [k for k, _ in urllib.parse.parse_qsl(u.query, keep_blank_values=True)]
    q = "&".join(f"{k}=..." for k in keys)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, u.path, q, ""))


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # loopback only: never a proxy
            urllib.request.HTTPCookieProcessor(self.jar),
            NoRedirect(),
        )

    def request(self, url, data=None):
        """Returns (status, headers, body) without following redirects."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        req.add_header("Accept", "text/html,application/json")
        try:
            with self.opener.open(req, timeout=TIMEOUT) as r:
                return r.status, r.headers, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")


def fill(form):
    """The form's fields: hidden ones as given, login and password made up."""
    fields = {}
    for i in form["inputs"]:
        name = i.get("name")
        if not name:
            continue
        kind = (i.get("type") or "text").lower()
        if kind == "password":
            fields[name] = PASSWORD
        elif kind in ("text", "email") and not i.get("value"):
            fields[name] = LOGIN
        else:
            fields[name] = i.get("value") or ""
    return fields


def walk(auth_url):
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(auth_url).query))
    redirect_uri = params.get("redirect_uri", "")
    browser = Browser()
    url, data = auth_url, None
    for hop in range(MAX_HOPS):
        if redirect_uri and url.split("?", 1)[0] == redirect_uri:
            log(f"hop {hop}: delivering the redirect to the client: {redacted(url)}")
            status, _, _ = browser.request(url)
            log(f"client answered HTTP {status}")
            return status == 200
        log(f"hop {hop}: {'POST' if data is not None else 'GET'} {redacted(url)}")
        status, headers, body = browser.request(url, data)
        data = None
        if status in (301, 302, 303, 307, 308):
            location = headers.get("Location")
            if not location:
                raise RuntimeError(f"HTTP {status} without a Location")
            url = urllib.parse.urljoin(url, location)
            continue
        if status != 200:
            raise RuntimeError(f"HTTP {status} from {redacted(url)}: {body[:500]}")
        parser = FormParser()
        parser.feed(body)
        form = parser.form
        if form is None:
            raise RuntimeError(f"a page without a form at {redacted(url)}: {body[:500]}")
        fields = fill(form)
        log(f"form {form['method'].upper()} {form['action']} fields {sorted(fields)}")
        target = urllib.parse.urljoin(url, form["action"])
        if form["method"] == "post":
            url, data = target, fields
        else:
            url = target + ("&" if "?" in target else "?") + urllib.parse.urlencode(fields)
    raise RuntimeError(f"no redirect to the client after {MAX_HOPS} hops")


def main():
    if len(sys.argv) != 2:
        print("usage: browser.py AUTHORIZATION_URL", file=sys.stderr)
        return 2
    auth_url = sys.argv[1]
    try:
        if walk(auth_url):
            log("done")
            return 0
        return 1
    except Exception as e:  # report, then release the waiting client
        log(f"FAILED: {e}")
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(auth_url).query))
        if params.get("redirect_uri"):
            err = urllib.parse.urlencode(
                {"error": "conformance_browser_failed", "error_description": str(e)[:200]}
            )
            try:
                Browser().request(f"{params['redirect_uri']}?{err}")
            except Exception:
                pass
        return 1


if __name__ == "__main__":
    sys.exit(main())
