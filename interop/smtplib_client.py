#!/usr/bin/env python3
"""Python's smtplib as a second SMTP client implementation, for Gatehouse's interop tests
(src/test/java/net/gatehouse/interop/SmtplibInteropIT.java and PostfixBackendInteropIT.java).

    smtplib_client.py --port PORT [--starttls] --from ADDR --to ADDR [--to ADDR ...]
                      (--message FILE | --subject TEXT --body TEXT)

With --message, the file's bytes are sent as they are (smtplib only dot-stuffs them) with
mail()/rcpt()/data(), so every reply is seen. Otherwise an email.message.EmailMessage is built and
sent with send_message(), as an application would. Prints what happened, one line each:

    ehlo 250 gw.test                        feature starttls
    starttls 220 2.0.0 Ready to start TLS   tls_version TLSv1.3
    rcpt alice@example.test 250 2.1.5 Ok    data 250 2.0.0 Ok: queued as ...
    refused bob@example.test 550 5.1.1 ...  sent yes

and exits 0 when the dialogue ran to its end, whatever the server answered, 1 when it broke.
"""

import argparse
import smtplib
import ssl
import sys
from email.message import EmailMessage


def reply(code, text):
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return "%d %s" % (code, " ".join(text.splitlines()))


def show(key, value):
    print("%s %s" % (key, value), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--from", dest="sender", required=True)
    parser.add_argument("--to", action="append", required=True)
    parser.add_argument("--message")
    parser.add_argument("--subject", default="smtplib interop")
    parser.add_argument("--body", default="Sent by Python's smtplib.\n")
    args = parser.parse_args()

    try:
        with smtplib.SMTP(args.host, args.port, local_hostname="python.test", timeout=20) as smtp:
            show("ehlo", reply(*smtp.ehlo()))
            for feature in sorted(smtp.esmtp_features):
                show("feature", feature)
            if args.starttls:
                context = ssl.create_default_context()
                # Gatehouse's certificate is self-signed: encryption without authentication
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                show("starttls", reply(*smtp.starttls(context=context)))
                show("tls_version", smtp.sock.version())
                show("ehlo_after_tls", reply(*smtp.ehlo()))
                for feature in sorted(smtp.esmtp_features):
                    show("feature_after_tls", feature)
            if args.message:
                with open(args.message, "rb") as file:
                    content = file.read()
                show("mail", reply(*smtp.mail(args.sender)))
                accepted = 0
                for to in args.to:
                    code, text = smtp.rcpt(to)
                    show("rcpt", to + " " + reply(code, text))
                    accepted += 200 <= code < 300
                if accepted:
                    show("data", reply(*smtp.data(content)))
            else:
                message = EmailMessage()
                message["From"] = args.sender
                message["To"] = ", ".join(args.to)
                message["Subject"] = args.subject
                message.set_content(args.body)
                try:
                    refused = smtp.send_message(message, args.sender, args.to)
                    show("sent", "yes")
                except smtplib.SMTPRecipientsRefused as e:
                    show("sent", "no")
                    refused = e.recipients
                except smtplib.SMTPResponseException as e:
                    show("sent", "no")
                    show("error", reply(e.smtp_code, e.smtp_error))
                    refused = {}
                for to, (code, text) in refused.items():
                    show("refused", to + " " + reply(code, text))
            show("quit", reply(*smtp.quit()))
    except (OSError, smtplib.SMTPException) as e:
        show("exception", repr(e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
