#!/usr/bin/env python3
"""Writes the demo mailbox (the *.eml files beside this script).

Run it again after editing; the .eml files are committed so postie needs no
Python. Each message is built from real bytes: Chinese text encoded with
Python's own gb2312/gbk/big5 codecs, headers as encoded-words or raw 8-bit,
bodies as quoted-printable or base64, so the demo shows what real mail does.
"""
import base64, quopri, os, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))

def ew(text, charset, enc="B"):
    raw = text.encode(charset)
    if enc == "B":
        return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())
    q = "".join(chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else "=%02X" % b for b in raw)
    return "=?%s?Q?%s?=" % (charset, q)

def b64(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))

def qp(data):
    return quopri.encodestring(data).decode("ascii").replace("\r\n", "\n").replace("\n", "\r\n")

def crlf(s):
    return s.replace("\r\n", "\n").replace("\n", "\r\n")

def write(name, head, body_bytes):
    data = crlf(head).encode("latin-1") + b"\r\n" + body_bytes
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)

def write_raw(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)

def hdr(frm, to, date, subject, msgid, extra=""):
    return ("From: %s\nTo: %s\nDate: %s\nSubject: %s\nMessage-ID: <%s@demo.postie>\nMIME-Version: 1.0\n%s"
            % (frm, to, date, subject, msgid, extra))

# 1. Welcome (plain UTF-8, 8bit)
write("01-welcome.eml",
      hdr("postie <hello@postie.demo>", "you@postie.demo", "Mon, 03 Jun 2024 09:00:00 +0800",
          "Welcome to postie", "welcome",
          "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"),
      crlf("""Hello!

This is the demo mailbox: a small POP3 server inside postie, on 127.0.0.1,
serving the messages in assets/demo/. Nothing you do here touches real mail.

Try:
  postie list --demo          the mailbox, newest first
  postie show 2 --demo        a Chinese GB2312 message, decoded
  postie show 7 --demo        attachments with Chinese file names

Deleting works as on a real server: marks are kept until QUIT.
""").encode("utf-8"))

# 2. GB2312, B-encoded subject and sender, quoted-printable body
body = "王经理：\n\n您好！附件是第二季度的销售报告，请查收。\n本季度销售额同比增长百分之十二，华东区表现最好。\n\n此致\n敬礼\n\n李明\n"
write("02-gb2312-quoted-printable.eml",
      hdr("%s <liming@example.cn>" % ew("李明", "gb2312"), "%s <wang@example.cn>" % ew("王经理", "gb2312"),
          "Tue, 04 Jun 2024 10:15:00 +0800", ew("第二季度销售报告", "gb2312"), "q2-report",
          "Content-Type: text/plain; charset=\"gb2312\"\nContent-Transfer-Encoding: quoted-printable\nX-Mailer: Foxmail 7.2\n"),
      qp(crlf(body).encode("gb2312")).encode("ascii"))

# 3. GBK, Q-encoded sender, base64 body
body = "各位同事：\n\n本周五下午三点在三楼会议室召开部门例会，请准时参加。\n议题：一、项目进度；二、年中总结；三、团建安排。\n\n行政部 赵敏\n"
write("03-gbk-base64.eml",
      hdr("%s <zhaomin@example.cn>" % ew("赵敏", "gbk", "Q"), "team@example.cn",
          "Wed, 05 Jun 2024 14:30:00 +0800", ew("【通知】周五部门例会", "gbk"), "meeting",
          "Content-Type: text/plain; charset=gbk\nContent-Transfer-Encoding: base64\n"),
      b64(crlf(body).encode("gbk")).encode("ascii") + b"\r\n")

# 4. The old Foxmail case: GB2312 bytes labelled ISO-8859-1 in encoded-words
write("04-foxmail-mislabelled.eml",
      "From: =?iso-8859-1?q?=b3=c2=bf=a1=c7=e5?= <chenjunqing@example.com>\nTo: boss_ch@china.com\n"
      "Date: Thu, 06 Jun 2024 08:45:00 +0800\nSubject: =?iso-8859-1?q?=d3=ca=bc=fe=ca=be=c0=fd?=\n"
      "X-Mailer: foxmail 3.1 [CN]\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"GB2312\"\n"
      "Content-Transfer-Encoding: 8bit\n",
      crlf("Hello!\nThis is a small example of a message\n").encode("ascii")
      + crlf("这是一封老式 Foxmail 发出的邮件。\n").encode("gb2312"))

# 5. HTML only
html = """<html><head><style>p { color: red }</style><script>alert('x')</script></head>
<body><h1>Weekly digest</h1>
<p>Three things happened this week:</p>
<ul><li>postie learned to <b>pipeline</b> POP3 commands.</li>
<li>The demo mailbox got <a href="https://example.org/chinese">Chinese mail</a>.</li>
<li>Nobody lost a message.</li></ul>
<p>See you next week.</p></body></html>
"""
write("05-html-only.eml",
      hdr("Digest <digest@news.example.org>", "you@postie.demo", "Fri, 07 Jun 2024 07:00:00 +0000",
          "Your weekly digest", "digest",
          "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n"),
      qp(crlf(html).encode("utf-8")).encode("ascii"))

# 6. multipart/alternative, UTF-8
plain = "会议纪要已经整理好了，详见下文。\n\n1. 下周一上线新版本\n2. 周三前完成测试\n"
htmlp = "<p>会议纪要已经整理好了，详见下文。</p><ol><li>下周一上线新版本</li><li>周三前完成测试</li></ol>"
write("06-alternative-utf8.eml",
      hdr("%s <zhou@example.com>" % ew("周杰", "utf-8"), "you@postie.demo", "Sat, 08 Jun 2024 16:20:00 +0800",
          ew("会议纪要（6月8日）", "utf-8"), "minutes",
          "Content-Type: multipart/alternative; boundary=\"alt-boundary-1\"\n"),
      crlf("This is a multi-part message in MIME format.\n\n--alt-boundary-1\n"
           "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n").encode("ascii")
      + b64(crlf(plain).encode("utf-8")).encode("ascii")
      + crlf("\n\n--alt-boundary-1\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n").encode("ascii")
      + b64(htmlp.encode("utf-8")).encode("ascii")
      + crlf("\n--alt-boundary-1--\n").encode("ascii"))

# 7. Attachments with Chinese file names (RFC 2231 and RFC 2047)
pdf = b"%PDF-1.4\n% demo attachment\n" + bytes(range(256)) * 8
xls = ("季度,销售额\n一季度,100\n二季度,112\n").encode("gbk")
name1 = "销售报告.pdf"
name2 = "数据汇总.csv"
write("07-chinese-attachments.eml",
      hdr("%s <liming@example.cn>" % ew("李明", "gb2312"), "wang@example.cn", "Sun, 09 Jun 2024 11:00:00 +0800",
          ew("报告附件", "gb2312"), "attach",
          "Content-Type: multipart/mixed; boundary=\"mixed-boundary-7\"\n"),
      crlf("--mixed-boundary-7\nContent-Type: text/plain; charset=gb2312\nContent-Transfer-Encoding: base64\n\n").encode("ascii")
      + b64(crlf("王经理：\n\n报告和数据见附件。\n\n李明\n").encode("gb2312")).encode("ascii")
      + crlf("\n--mixed-boundary-7\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
             "Content-Disposition: attachment;\n filename*=UTF-8''%s\n\n" % urllib.parse.quote(name1.encode("utf-8"))).encode("ascii")
      + b64(pdf).encode("ascii")
      + crlf("\n--mixed-boundary-7\nContent-Type: text/csv; charset=gbk; name=\"%s\"\nContent-Transfer-Encoding: base64\n"
             "Content-Disposition: attachment; filename=\"%s\"\n\n" % (ew(name2, "gb2312"), ew(name2, "gb2312"))).encode("ascii")
      + b64(xls).encode("ascii")
      + crlf("\n--mixed-boundary-7--\n").encode("ascii"))

# 8-11. A thread
thread = [
    ("孙丽", "sunli", "项目进度", "大家好，请各自更新一下本周的项目进度。\n"),
    ("吴刚", "wugang", "Re: 项目进度", "后端接口已完成百分之八十，预计周四完成。\n\n> 大家好，请各自更新一下本周的项目进度。\n"),
    ("郑红", "zhenghong", "Re: 项目进度", "前端页面已经全部完成，正在联调。\n\n> 后端接口已完成百分之八十，预计周四完成。\n>> 大家好，请各自更新一下本周的项目进度。\n"),
    ("孙丽", "sunli", "Re: 项目进度", "好的，周五下午一起演示。谢谢大家！\n\n> 前端页面已经全部完成，正在联调。\n"),
]
prev = []
for i, (name, user, subj, text) in enumerate(thread):
    msgid = "thread-%d" % (i + 1)
    refs = ""
    if prev:
        refs = "In-Reply-To: <%s@demo.postie>\nReferences: %s\n" % (prev[-1], " ".join("<%s@demo.postie>" % p for p in prev))
    write("%02d-thread-%d.eml" % (8 + i, i + 1),
          hdr("%s <%s@example.cn>" % (ew(name, "gb2312"), user), "project@example.cn",
              "Mon, 10 Jun 2024 %02d:%02d:00 +0800" % (9 + i, 10 * i), ew(subj, "gb2312"), msgid,
              refs + "Content-Type: text/plain; charset=gb2312\nContent-Transfer-Encoding: quoted-printable\n"),
          qp(crlf(text).encode("gb2312")).encode("ascii"))
    prev.append(msgid)

# 12. Traditional Chinese, Big5
write("12-big5.eml",
      hdr("%s <chen@example.tw>" % ew("陳大文", "big5"), "you@postie.demo", "Tue, 11 Jun 2024 20:05:00 +0800",
          ew("繁體中文測試郵件", "big5"), "big5",
          "Content-Type: text/plain; charset=big5\nContent-Transfer-Encoding: base64\n"),
      b64(crlf("您好：\n\n這是一封使用 Big5 編碼的繁體中文郵件。\n\n陳大文\n").encode("big5")).encode("ascii") + b"\r\n")

# 13. Raw 8-bit GBK subject, no encoded-word (old clients, QQ mail)
write_raw("13-raw-8bit-gbk.eml",
      ("From: qq-user <12345@qq.example.com>\nTo: you@postie.demo\nDate: Wed, 12 Jun 2024 13:14:00 +0800\n"
       "Subject: ").encode("latin-1") + "周末一起吃饭吗？".encode("gbk")
      + crlf("\nMessage-ID: <raw8bit@demo.postie>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=gbk\n"
             "Content-Transfer-Encoding: 8bit\n\n").encode("ascii")
      + crlf("周六晚上六点，老地方见。\n").encode("gbk"))

# 14. Lines that begin with dots (dot-stuffing on the wire)
write("14-dot-lines.eml",
      hdr("Build bot <ci@example.org>", "you@postie.demo", "Thu, 13 Jun 2024 02:00:00 +0000",
          "Build log: lines starting with dots", "dots",
          "Content-Type: text/plain; charset=us-ascii\n"),
      crlf("The log below has lines that begin with '.':\n.\n..\n.hidden\n...three dots\n. a dot and a space\nend.\n").encode("ascii"))

# 15. Hostile: escape sequences and a bidi override in headers and body
write("15-hostile.eml",
      hdr("Mallory <mallory@evil.example>", "you@postie.demo", "Fri, 14 Jun 2024 03:03:03 +0000",
          ew("Invoice \x1b[31mOVERDUE\x1b[0m \u202egpj.exe", "utf-8"), "hostile",
          "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"),
      crlf("This message tries to attack your terminal:\n"
           "\x1b]0;pwned title\x07 set the window title\n"
           "\x1b[2J clear the screen\n"
           "\u202eright-to-left override\n"
           "postie shows every control as a visible placeholder instead.\n").encode("utf-8"))

# 16. A date that does not parse (a real one seen in the wild)
write("16-bad-date.eml",
      "From: old-client@example.net\nTo: you@postie.demo\nDate: sat, SEP 2000 13:34:18 +0800\n"
      "Subject: A message with a broken Date header\nMessage-ID: <baddate@demo.postie>\n\n",
      crlf("The Date header above cannot be parsed; postie shows it as written.\n").encode("ascii"))
