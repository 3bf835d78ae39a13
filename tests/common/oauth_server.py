"""A mock OAuth 2.0 authorization server for postie's tests (plain HTTP on 127.0.0.1).

  POST /devicecode   RFC 8628 device authorization: a device code, the user
                     code WDJB-MJHT, interval 1 s.
  POST /token        device_code grant: authorization_pending twice, then
                     slow_down once, then tokens (or access_denied with --deny);
                     refresh_token grant: the first request of the run fails
                     with 503, later ones rotate the refresh token (rt-1 ->
                     rt-2 ...); "rt-revoked" gets invalid_grant;
                     authorization_code grant: the PKCE verifier must match
                     the S256 challenge given to /authorize.
  GET  /authorize    plays the user who signs in: 302 to redirect_uri with a
                     code and the state.

Access tokens are HS256 JWTs the tests' Dovecot accepts (key, issuer,
audience, scope and the user's email from the command line), valid for an
hour. Every request is logged to --log as a JSON line (time, path, grant,
answer). The chosen port is written to --port-file.
"""

import argparse
import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--audience", required=True)
    ap.add_argument("--scope", required=True)
    ap.add_argument("--email", required=True)
    ap.add_argument("--deny", action="store_true")
    args = ap.parse_args()
    key = base64.b64decode(args.key)
    lock = threading.Lock()
    state = {"polls": 0, "refreshes": 0, "rt": 1, "codes": {}}

    def b64url(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    def jwt():
        now = int(time.time())
        head = b64url(b'{"alg":"HS256","typ":"JWT"}')
        body = b64url(json.dumps({
            "sub": "sub-" + args.email, "email": args.email, "iat": now - 10,
            "exp": now + 3600, "iss": args.issuer, "aud": args.audience,
            "scope": "openid " + args.scope}).encode())
        sig = hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest()
        return head + "." + body + "." + b64url(sig)

    def tokens(refresh):
        return 200, {"access_token": jwt(), "token_type": "Bearer", "expires_in": 3600,
                     "refresh_token": refresh, "scope": args.scope}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, code, body, grant="", headers=None):
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(code)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            with lock, open(args.log, "a") as f:
                f.write(json.dumps({"t": time.time(), "path": self.path.split("?")[0],
                                    "grant": grant, "status": code,
                                    "error": (body or {}).get("error", "")}) + "\n")

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = dict(urllib.parse.parse_qsl(url.query))
            if url.path != "/authorize":
                return self.answer(404, {"error": "not_found"})
            if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                return self.answer(400, {"error": "invalid_request"})
            code = "code-%d" % len(state["codes"])
            with lock:
                state["codes"][code] = q["code_challenge"]
            loc = q["redirect_uri"] + "?" + urllib.parse.urlencode(
                {"code": code, "state": q.get("state", "")})
            self.answer(302, None, "authorize", {"Location": loc})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
            if form.get("client_id") != "postie-test":
                return self.answer(401, {"error": "invalid_client"})
            if self.path == "/devicecode":
                return self.answer(200, {
                    "device_code": "dc-1", "user_code": "WDJB-MJHT",
                    "verification_uri": "http://127.0.0.1/verify\u001b[31m",
                    "expires_in": 600, "interval": 1}, "devicecode")
            if self.path != "/token":
                return self.answer(404, {"error": "not_found"})
            grant = form.get("grant_type", "")
            if grant == "urn:ietf:params:oauth:grant-type:device_code":
                with lock:
                    state["polls"] += 1
                    p = state["polls"]
                if p <= 2:
                    return self.answer(400, {"error": "authorization_pending"}, grant)
                if p == 3:
                    return self.answer(400, {"error": "slow_down"}, grant)
                if args.deny:
                    return self.answer(400, {"error": "access_denied"}, grant)
                return self.answer(*tokens("rt-1"), grant)
            if grant == "refresh_token":
                rt = form.get("refresh_token", "")
                if rt == "rt-revoked":
                    return self.answer(400, {"error": "invalid_grant",
                                             "error_description": "AADSTS70008: the refresh token has expired"}, grant)
                with lock:
                    state["refreshes"] += 1
                    first = state["refreshes"] == 1
                    state["rt"] += 1
                    new = "rt-%d" % state["rt"]
                if first:
                    return self.answer(503, {"error": "temporarily_unavailable"}, grant)
                return self.answer(*tokens(new), grant)
            if grant == "authorization_code":
                challenge = state["codes"].pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                want = b64url(hashlib.sha256(verifier.encode()).digest())
                if challenge is None or want != challenge:
                    return self.answer(400, {"error": "invalid_grant"}, grant)
                return self.answer(*tokens("rt-browser"), grant)
            return self.answer(400, {"error": "unsupported_grant_type"}, grant)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
