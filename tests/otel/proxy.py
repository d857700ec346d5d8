#!/usr/bin/env python3
"""A recording, fault-injecting HTTP proxy in front of oteltap (tests/export.rs).

oteltap prints log records and spans but neither the OTLP resource nor the
request headers, and always answers 200. This proxy sits between devcontext
and oteltap: it decodes each request with the official `opentelemetry-proto`
package (resource attributes, record and span counts), notes which header
names arrived and whether the API-key header has the expected value (never
the value itself), can answer the next requests with a scripted status and
Retry-After, or delay them, and otherwise forwards the bytes unchanged.

usage: proxy.py UPSTREAM_PORT EXPECTED_KEY   prints PORT=n, then serves until killed
control: POST /__proxy/faults [{"status":429,"retry_after":"2"}, ...]  (one per request)
         POST /__proxy/delay {"ms": 200}
         GET  /__proxy/requests  -> [{path, at, status, resource, records, spans, key_ok, headers}]
"""

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

UPSTREAM = int(sys.argv[1])
EXPECTED_KEY = sys.argv[2]
lock = threading.Lock()
faults = []
delay = {"ms": 0}
seen = []


def decode(path, body):
    if path.endswith("/v1/logs"):
        req = logs_service_pb2.ExportLogsServiceRequest.FromString(body)
        rl = req.resource_logs
        records = sum(len(s.log_records) for r in rl for s in r.scope_logs)
        resource = MessageToDict(rl[0].resource) if rl else {}
        return resource, records, 0
    req = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
    rs = req.resource_spans
    spans = sum(len(s.spans) for r in rs for s in r.scope_spans)
    resource = MessageToDict(rs[0].resource) if rs else {}
    return resource, 0, spans


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/__proxy/requests":
            with lock:
                body = json.dumps(seen).encode()
            return self.reply(200, body, [("content-type", "application/json")])
        self.reply(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path == "/__proxy/faults":
            with lock:
                faults.extend(json.loads(body))
            return self.reply(200)
        if self.path == "/__proxy/delay":
            with lock:
                delay["ms"] = json.loads(body)["ms"]
            return self.reply(200)
        with lock:
            fault = faults.pop(0) if faults else None
            wait = delay["ms"]
        entry = {
            "path": self.path,
            "at": time.time(),
            "headers": sorted(k.lower() for k in self.headers.keys()),
            "key_ok": self.headers.get("x-api-key") == EXPECTED_KEY,
        }
        try:
            entry["resource"], entry["records"], entry["spans"] = decode(self.path, body)
        except Exception as e:  # not OTLP: recorded as such
            entry["decode_error"] = str(e)
        if wait:
            time.sleep(wait / 1000)
        if fault:
            entry["status"] = fault["status"]
            with lock:
                seen.append(entry)
            headers = [("retry-after", fault["retry_after"])] if "retry_after" in fault else []
            return self.reply(fault["status"], b"", headers)
        req = urllib.request.Request(
            f"http://127.0.0.1:{UPSTREAM}{self.path}",
            data=body,
            headers={"content-type": self.headers.get("content-type", "application/x-protobuf")},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, answer = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, answer = e.code, e.read()
        except OSError:
            status, answer = 502, b""
        entry["status"] = status
        with lock:
            seen.append(entry)
        self.reply(status, answer, [("content-type", "application/x-protobuf")])


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"PORT={server.server_address[1]}", flush=True)
server.serve_forever()
