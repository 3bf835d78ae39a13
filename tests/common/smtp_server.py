"""A private SMTP server for postie's tests (run with Debian's /usr/bin/python3).

Two aiosmtpd listeners on 127.0.0.1: one requiring STARTTLS before AUTH (the
587 style), one with implicit TLS (465 style), both with the test CA's
certificate and AUTH LOGIN/PLAIN against one user. Each accepted message's
exact bytes (envelope.original_content, never re-serialised) are written to
RECORD/N.eml with the envelope in RECORD/N.json, then handed to the test
Dovecot with dovecot-lda so postie can read it back over POP3.

With --oauth-key (base64 of an HS256 key) both listeners also offer AUTH
XOAUTH2 and OAUTHBEARER and accept the tests' JWTs for the user (signature,
exp, aud, scope checked); a bad token gets RFC 7628's error challenge, then
535 once the client has answered it.

Recipients steer the failure paths: `refused@...` is refused at RCPT with
550; for `drop@...` the message is recorded and the connection is cut
before the reply to DATA (the outcome unknown to the client).
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import time
import json
import os
import ssl
import subprocess
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--starttls-port", type=int, required=True)
    ap.add_argument("--implicit-port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--lda", default="/usr/lib/dovecot/dovecot-lda")
    ap.add_argument("--lda-conf", required=True)
    ap.add_argument("--lda-user", required=True)
    ap.add_argument("--oauth-key")
    ap.add_argument("--oauth-audience", default="https://mail.example.invalid")
    ap.add_argument("--oauth-scope", default="mail.pop")
    args = ap.parse_args()

    def b64url(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    def token_ok(token, user):
        try:
            head, body, sig = token.split(".")
            key = base64.b64decode(args.oauth_key)
            want = hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(want, b64url(sig)):
                return False
            claims = json.loads(b64url(body))
            return (claims.get("exp", 0) > time.time()
                    and claims.get("aud") == args.oauth_audience
                    and args.oauth_scope in claims.get("scope", "").split()
                    and claims.get("email") == user)
        except Exception:
            return False

    def parse(raw, mech):
        """(user, token) from a client's first message."""
        fields = raw.decode("utf-8", "replace").split("\x01")
        user, token = "", ""
        if mech == "OAUTHBEARER":
            gs2 = fields[0].split(",")
            for part in gs2:
                if part.startswith("a="):
                    user = part[2:].replace("=2C", ",").replace("=3D", "=")
        for f in fields:
            if f.startswith("user="):
                user = f[5:]
            if f.startswith("auth=Bearer "):
                token = f[len("auth=Bearer "):]
        return user, token

    async def oauth(server, auth_args, mech):
        if len(auth_args) > 1:
            raw = base64.b64decode(auth_args[1])
        else:
            raw = await server.challenge_auth("", encode_to_b64=False)
            if not isinstance(raw, bytes):
                return AuthResult(success=False, handled=False)
        user, token = parse(raw, mech)
        if user == args.user and token_ok(token, user):
            return AuthResult(success=True, handled=False, auth_data=user)
        if mech == "OAUTHBEARER":
            err = {"status": "invalid_token", "scope": args.oauth_scope}
        else:
            err = {"status": "401", "schemes": "bearer", "scope": args.oauth_scope}
        answer = await server.challenge_auth(json.dumps(err).encode(), encode_to_b64=True)
        with open(os.path.join(args.record, "oauth-answers.log"), "a") as f:
            f.write("%s %r\n" % (mech, answer))
        return AuthResult(success=False, handled=False)

    counter = {"n": 0}
    lock = threading.Lock()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8", "replace") == args.user
            and auth_data.password.decode("utf-8", "replace") == args.password
        )
        return AuthResult(success=ok, handled=False)

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.lower().startswith("refused@"):
                return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            raw = envelope.original_content
            with lock:
                counter["n"] += 1
                n = counter["n"]
            base = os.path.join(args.record, "%03d" % n)
            with open(base + ".eml.tmp", "wb") as f:
                f.write(raw)
            os.rename(base + ".eml.tmp", base + ".eml")
            meta = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
            }
            with open(base + ".json", "w") as f:
                json.dump(meta, f)
            lda = subprocess.run(
                [args.lda, "-c", args.lda_conf, "-d", args.lda_user,
                 "-f", envelope.mail_from or "MAILER-DAEMON"],
                input=raw, capture_output=True)
            if lda.returncode != 0:
                sys.stderr.write("dovecot-lda failed: %s\n" % lda.stderr.decode("utf-8", "replace"))
                return "451 4.3.0 local delivery failed"
            if any(r.lower().startswith("drop@") for r in envelope.rcpt_tos):
                # Received and kept, but the client never hears so.
                server.transport.abort()
                return "250 OK"
            return "250 OK queued as %03d" % n

    if args.oauth_key:
        class OAuthHandler(Handler):
            async def auth_XOAUTH2(self, server, auth_args):
                return await oauth(server, auth_args, "XOAUTH2")

            async def auth_OAUTHBEARER(self, server, auth_args):
                return await oauth(server, auth_args, "OAUTHBEARER")
        make = OAuthHandler
    else:
        make = Handler

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)

    starttls = Controller(
        make(), hostname="127.0.0.1", port=args.starttls_port,
        tls_context=ctx, require_starttls=True,
        authenticator=authenticator, auth_required=True, auth_require_tls=True)
    implicit = Controller(
        make(), hostname="127.0.0.1", port=args.implicit_port,
        ssl_context=ctx, authenticator=authenticator,
        auth_required=True, auth_require_tls=False)
    starttls.start()
    implicit.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        # Until the test closes our stdin (or dies).
        sys.stdin.read()
    finally:
        starttls.stop()
        implicit.stop()


if __name__ == "__main__":
    main()
