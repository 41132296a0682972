#!/usr/bin/env python3
"""Writes the inbound .eml corpus of the email channel's tests.

Every message here was written for Sahayak's tests: the clients' styles
(Gmail, Outlook, Apple Mail, Thunderbird) are imitated from what their
replies look like, not copied from real mail. Run it from this folder;
the .eml files are committed, so the tests do not need Python.
"""
import base64, quopri, os

def b64(s, enc="utf-8"):
    return base64.b64encode(s.encode(enc) if isinstance(s, str) else s).decode()

def b64lines(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i+76] for i in range(0, len(s), 76))

def qp(s, enc="utf-8"):
    return quopri.encodestring(s.encode(enc)).decode().replace("\n", "\r\n")

def word_b(s, enc="utf-8"):
    return "=?%s?B?%s?=" % (enc.upper(), b64(s, enc))

def split_b(s, enc, cut):
    """Encoded words split at byte offset cut, possibly inside a character."""
    raw = s.encode(enc)
    return "=?%s?B?%s?=\r\n =?%s?B?%s?=" % (enc, base64.b64encode(raw[:cut]).decode(), enc, base64.b64encode(raw[cut:]).decode())

def q_bytes(raw):
    return "".join(chr(c) if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else "=%02X" % c for c in raw)

HI_SUBJECT = "मेरा ऑर्डर नहीं पहुँचा"
HI_BODY = "नमस्ते,\r\nमेरा ऑर्डर #4521 अभी तक नहीं पहुँचा है। कृपया मदद करें।\r\nधन्यवाद,\r\nरवि"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

def hdr(frm, subject, mid, extra=""):
    return ("From: %s\r\nTo: Support <support@acme.test>\r\nSubject: %s\r\nDate: Tue, 3 Nov 2026 10:15:00 +0530\r\n"
            "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n%s") % (frm, subject, mid, extra)

M = {}

M["gmail_new.eml"] = hdr("Priya Sharma <priya@example.in>", "Cannot log in to my account", "CAJx1=abc123@mail.gmail.com",
 'Content-Type: multipart/alternative; boundary="000000000000a1b2c3"\r\n') + """
--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Hello,

Since yesterday I cannot log in =E2=80=94 the page says my password is wron=
g.

Priya

--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Hello,<div><br></div><div>Since yesterday I cannot log in =
=E2=80=94 the page says my password is wrong.</div><div><br></div><div>Priy=
a</div></div>

--000000000000a1b2c3--
""".replace("\n", "\r\n")

M["gmail_reply.eml"] = hdr("Priya Sharma <priya@example.in>", "Re: [#101] Cannot log in to my account", "CAJx1=def456@mail.gmail.com",
 "In-Reply-To: <sahayak.101.7.abc@acme.test>\r\nReferences: <CAJx1=abc123@mail.gmail.com> <sahayak.101.7.abc@acme.test>\r\n"
 'Content-Type: text/plain; charset="UTF-8"\r\n') + """
It works now, thank you!

On Tue, 3 Nov 2026 at 11:02, Acme Support <support@acme.test> wrote:
> Please try resetting your password from the link below.
>
> Acme Support
""".replace("\n", "\r\n")

M["outlook_reply.eml"] = hdr("\"Müller, Jörg\" <joerg.mueller@firma.example>", "AW: [#102] Rechnung fehlt", "AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.outlook.com",
 "Thread-Topic: Rechnung fehlt\r\nThread-Index: AQHZ1234abcd\r\nIn-Reply-To: <sahayak.102.9.xyz@acme.test>\r\nReferences: <sahayak.102.9.xyz@acme.test>\r\n"
 'Content-Language: de-DE\r\nContent-Type: multipart/alternative; boundary="_000_AM0PR01MB1234_"\r\n') + """
--_000_AM0PR01MB1234_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

Guten Tag,

die Rechnung f=FCr M=E4rz fehlt noch. Gr=FC=DFe

J=F6rg M=FCller

From: Acme Support <support@acme.test>
Sent: Monday, November 2, 2026 4:10 PM
To: M=FCller, J=F6rg <joerg.mueller@firma.example>
Subject: [#102] Rechnung fehlt

Wir pr=FCfen das.

--_000_AM0PR01MB1234_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

<html><head><style>p.MsoNormal{margin:0cm}</style></head><body lang=3D"DE"><div class=3D"WordSection1"><p class=3D"MsoNormal">Guten Tag,</p><p class=3D"MsoNormal">die Rechnung f=FCr M=E4rz fehlt noch. Gr=FC=DFe</p><div id=3D"divRplyFwdMsg"><hr><b>From:</b> Acme Support</div></div></body></html>

--_000_AM0PR01MB1234_--
""".replace("\n", "\r\n")

M["outlook_headers_dropped.eml"] = ("From: Priya Sharma <priya@example.in>\r\nTo: support@acme.test\r\nSubject: RE: [#101] Cannot log in to my account\r\n"
 "Date: Wed, 4 Nov 2026 09:00:00 +0530\r\nMessage-ID: <BN6PR11MB0001@BN6PR11MB0001.namprd11.prod.outlook.com>\r\nMIME-Version: 1.0\r\n"
 "Content-Type: text/plain; charset=\"us-ascii\"\r\n\r\nOne more question about the same login problem.\r\n")

M["apple_mail_reply.eml"] = hdr("Ananya Rao <ananya@example.in>", "Re: Delivery slot", "7E1F0C3A-1B2C-4D5E-9F00-112233445566@example.in",
 "In-Reply-To: <sahayak.103.2.q@acme.test>\r\nReferences: <sahayak.103.2.q@acme.test>\r\nX-Mailer: Apple Mail (2.3774)\r\n"
 'Content-Type: multipart/alternative; boundary="Apple-Mail=_A1B2C3D4"\r\n') + """
--Apple-Mail=_A1B2C3D4
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain; charset=utf-8

Thursday morning is fine.

> On 3 Nov 2026, at 14:05, Acme Support <support@acme.test> wrote:
>=20
> Which slot suits you?

--Apple-Mail=_A1B2C3D4
Content-Transfer-Encoding: 7bit
Content-Type: text/html; charset=us-ascii

<html><body style="word-wrap: break-word;">Thursday morning is fine.<br><blockquote type="cite">Which slot suits you?</blockquote></body></html>
--Apple-Mail=_A1B2C3D4--
""".replace("\n", "\r\n")

M["apple_mail_inline_image.eml"] = hdr("Ananya Rao <ananya@example.in>", "Broken screen photo", "0A1B2C3D-photo@example.in",
 'Content-Type: multipart/related; type="text/html"; boundary="Apple-Mail=_REL"\r\n') + """
--Apple-Mail=_REL
Content-Transfer-Encoding: 7bit
Content-Type: text/html; charset=us-ascii

<html><body>The screen cracked on arrival:<br><img src="cid:photo-1@example.in" alt="photo"></body></html>
--Apple-Mail=_REL
Content-Transfer-Encoding: base64
Content-Disposition: inline; filename=screen.png
Content-Type: image/png; name="screen.png"
Content-Id: <photo-1@example.in>

""".replace("\n", "\r\n") + b64lines(PNG) + "\r\n--Apple-Mail=_REL--\r\n"

M["thunderbird_reply_flowed.eml"] = hdr("Karan Mehta <karan@example.org>", "Re: [#104] Refund", "a1b2c3d4-e5f6-7890-abcd-ef1234567890@example.org",
 "In-Reply-To: <sahayak.104.3.r@acme.test>\r\nReferences: <sahayak.104.3.r@acme.test>\r\nUser-Agent: Mozilla Thunderbird\r\n"
 "Content-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n") + """
Thanks, I have received the refund of ₹1,250 today. 
This line was soft-wrapped by format=flowed.

On 03/11/2026 12:00, Acme Support wrote:
> Your refund is on its way.
""".replace("\n", "\r\n")

M["thunderbird_attachment.eml"] = hdr("Karan Mehta <karan@example.org>", "Invoice attached", "b2c3d4e5-attach@example.org",
 'User-Agent: Mozilla Thunderbird\r\nContent-Type: multipart/mixed; boundary="------------0123456789ABCDEF"\r\n') + """
This is a multi-part message in MIME format.
--------------0123456789ABCDEF
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Please find the invoice attached.

--------------0123456789ABCDEF
Content-Type: application/pdf; name="invoice-2026-11.pdf"
Content-Disposition: attachment; filename="invoice-2026-11.pdf"
Content-Transfer-Encoding: base64

""".replace("\n", "\r\n") + b64lines(PDF) + "\r\n\r\n--------------0123456789ABCDEF--\r\n"

M["gmail_forward_inline.eml"] = hdr("Priya Sharma <priya@example.in>", "Fwd: Your order has shipped", "CAJx1=fwd789@mail.gmail.com",
 'Content-Type: text/plain; charset="UTF-8"\r\n') + """
Please look at this, the tracking number does not work.

---------- Forwarded message ---------
From: Shop <orders@shop.example>
Date: Mon, 2 Nov 2026 at 08:00
Subject: Your order has shipped
To: <priya@example.in>

Tracking number: ZX123456789IN
""".replace("\n", "\r\n")

inner = ("From: Shop <orders@shop.example>\r\nTo: joerg.mueller@firma.example\r\nSubject: Versandbestätigung\r\n"
         "Message-ID: <inner-1@shop.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIhre Bestellung ist unterwegs.\r\n")
M["outlook_forward_attachment.eml"] = hdr("\"Müller, Jörg\" <joerg.mueller@firma.example>", "WG: Versandbestätigung", "AM0PR01MB5678@eurprd01.prod.outlook.com",
 'Content-Type: multipart/mixed; boundary="_004_fwd_"\r\n') + """
--_004_fwd_
Content-Type: text/plain; charset="us-ascii"

See the attached message.

--_004_fwd_
Content-Type: message/rfc822
Content-Disposition: attachment; filename="Versandbestaetigung.eml"

""".replace("\n", "\r\n") + inner + "\r\n--_004_fwd_--\r\n"

M["hindi_utf8_8bit.eml"] = ("From: रवि कुमार <ravi@example.in>\r\nTo: support@acme.test\r\nSubject: " + HI_SUBJECT +
 "\r\nDate: Tue, 3 Nov 2026 10:15:00 +0530\r\nMessage-ID: <hi-8bit-1@example.in>\r\nMIME-Version: 1.0\r\n"
 "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + HI_BODY + "\r\n")

M["hindi_utf8_base64.eml"] = hdr(word_b("रवि कुमार") + " <ravi@example.in>", word_b(HI_SUBJECT), "hi-b64-1@example.in",
 "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n") + "\r\n" + b64lines(HI_BODY.encode()) + "\r\n"

M["hindi_utf8_qp.eml"] = hdr("ravi@example.in", "=?utf-8?Q?" + q_bytes(HI_SUBJECT.encode()) + "?=", "hi-qp-1@example.in",
 "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n") + "\r\n" + qp(HI_BODY.replace("\r\n", "\n")) + "\r\n"

M["hindi_split_b_words.eml"] = hdr("ravi@example.in", split_b(HI_SUBJECT, "UTF-8", 7), "hi-split-b@example.in",
 "Content-Type: text/plain; charset=utf-8\r\n") + "\r\nSubject split inside a Devanagari letter.\r\n"

raw = HI_SUBJECT.encode()
M["hindi_split_q_words.eml"] = hdr("ravi@example.in", "=?UTF-8?Q?" + q_bytes(raw[:11]) + "?= =?UTF-8?Q?" + q_bytes(raw[11:]) + "?=", "hi-split-q@example.in",
 "Content-Type: text/plain; charset=utf-8\r\n") + "\r\nQ words split inside a letter.\r\n"

M["hindi_utf16.eml"] = hdr("ravi@example.in", word_b("UTF-16 में संदेश"), "hi-utf16@example.in",
 "Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n") + "\r\n" + b64lines(HI_BODY.encode("utf-16")) + "\r\n"

M["hindi_utf16le_nobom.eml"] = hdr("ravi@example.in", "UTF-16LE body", "hi-utf16le@example.in",
 "Content-Type: text/plain; charset=utf-16le\r\nContent-Transfer-Encoding: base64\r\n") + "\r\n" + b64lines(HI_BODY.encode("utf-16-le")) + "\r\n"

fname = "बिल-नवंबर.pdf"
pct = "".join("%%%02X" % c if not (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c in b".-") else chr(c) for c in fname.encode())
M["hindi_filename_rfc2231.eml"] = hdr("ravi@example.in", "Bill attached", "hi-2231@example.in",
 'Content-Type: multipart/mixed; boundary="b2231"\r\n') + """
--b2231
Content-Type: text/plain; charset=utf-8

बिल संलग्न है।
--b2231
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''""".replace("\n", "\r\n") + pct + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64lines(PDF) + "\r\n--b2231--\r\n"

M["hindi_filename_rfc2047.eml"] = hdr("ravi@example.in", "Bill attached (Outlook style)", "hi-2047@example.in",
 'Content-Type: multipart/mixed; boundary="b2047"\r\n') + """
--b2047
Content-Type: text/plain; charset=utf-8

बिल संलग्न है।
--b2047
Content-Type: application/pdf; name="%s"
Content-Disposition: attachment; filename="%s"
Content-Transfer-Encoding: base64

""".replace("\n", "\r\n") % (word_b(fname), word_b(fname)) + b64lines(PDF) + "\r\n--b2047--\r\n"

M["hindi_html_only.eml"] = hdr("ravi@example.in", word_b("केवल HTML"), "hi-html@example.in",
 "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n") + "\r\n" + b64lines(
 "<html><body><p>नमस्ते,</p><p>मेरा <b>ऑर्डर</b> नहीं पहुँचा।</p></body></html>".encode()) + "\r\n"

M["hindi_from_split_name.eml"] = hdr(split_b("रवि कुमार", "UTF-8", 4) + " <ravi@example.in>", "Name split across words", "hi-from-split@example.in",
 "Content-Type: text/plain; charset=utf-8\r\n") + "\r\nHello.\r\n"

M["latin1.eml"] = hdr("jose@example.es", "=?ISO-8859-1?Q?Caf=E9_y_ma=F1ana?=", "latin1@example.es",
 "Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n") + "\r\n" + qp("El café llegó frío mañana.\n", "latin-1") + "\r\n"

M["latin9_euro.eml"] = hdr("anne@example.fr", "=?iso-8859-15?Q?Prix_=A4?=", "latin9@example.fr",
 "Content-Type: text/plain; charset=iso-8859-15\r\nContent-Transfer-Encoding: 8bit\r\n") + "\r\n"
M["latin9_euro.eml"] = M["latin9_euro.eml"].encode("latin-1") + "Le prix est de 20 € œuvre.\r\n".encode("iso8859_15")

M["windows1252.eml"] = (hdr("mark@example.com", "Smart quotes", "cp1252@example.com",
 "Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n") + "\r\n").encode() + "He said “hello” – it cost €5.\r\n".encode("cp1252")

M["windows1251.eml"] = hdr("ivan@example.ru", "=?windows-1251?B?%s?=" % b64("Заказ не пришёл", "cp1251"), "cp1251@example.ru",
 "Content-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: base64\r\n") + "\r\n" + b64lines("Здравствуйте, мой заказ не пришёл.".encode("cp1251")) + "\r\n"

M["koi8r.eml"] = (hdr("olga@example.ru", "=?KOI8-R?B?%s?=" % b64("Возврат денег", "koi8_r"), "koi8@example.ru",
 "Content-Type: text/plain; charset=KOI8-R\r\nContent-Transfer-Encoding: 8bit\r\n") + "\r\n").encode() + "Прошу вернуть деньги.\r\n".encode("koi8_r")

M["shift_jis.eml"] = (hdr("taro@example.jp", "=?Shift_JIS?B?%s?=" % b64("注文について", "shift_jis"), "sjis@example.jp",
 "Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n") + "\r\n").encode() + "注文した商品が届きません。\r\n".encode("shift_jis")

M["shift_jis_split_subject.eml"] = hdr("taro@example.jp", split_b("注文について", "Shift_JIS", 3), "sjis-split@example.jp",
 "Content-Type: text/plain; charset=us-ascii\r\n") + "\r\nSubject split inside a two-byte character.\r\n"

M["iso2022jp.eml"] = (hdr("hanako@example.jp", "=?ISO-2022-JP?B?%s?=" % b64("返品の件", "iso2022_jp"), "jis@example.jp",
 "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n") + "\r\n").encode() + "返品をお願いします。\r\n".encode("iso2022_jp")

M["gb18030.eml"] = (hdr("li@example.cn", "=?GB18030?B?%s?=" % b64("退款申请", "gb18030"), "gb@example.cn",
 "Content-Type: text/plain; charset=GB18030\r\nContent-Transfer-Encoding: base64\r\n") + "\r\n").encode() + b64lines("我想申请退款。".encode("gb18030")).encode() + b"\r\n"

M["broken_no_boundary.eml"] = hdr("broken@example.com", "Multipart without boundary", "nob@example.com",
 "Content-Type: multipart/mixed\r\n") + "\r\nThe text is still here.\r\n"

M["broken_unclosed_multipart.eml"] = hdr("broken@example.com", "Unclosed multipart", "unclosed@example.com",
 'Content-Type: multipart/mixed; boundary="xyz"\r\n') + "\r\n--xyz\r\nContent-Type: text/plain\r\n\r\nFirst part survives.\r\n--xyz\r\nContent-Type: text/plain\r\n\r\nSecond part, never closed.\r\n"

M["broken_base64.eml"] = hdr("broken@example.com", "Bad base64", "badb64@example.com",
 "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n") + "\r\n" + b64("Readable start of the text. ") + "!!**garbage**\r\n"

M["broken_header_lines.eml"] = ("From: broken@example.com\r\nThis line is not a header\r\nSubject : Spaced colon\r\n"
 "X-Weird\x01Name: v\r\nMessage-ID: <badhdr@example.com>\r\nContent-Type: text/plain\r\n\r\nBody after broken headers.\r\n")

M["broken_unknown_charset.eml"] = (hdr("broken@example.com", "=?x-unknown-42?Q?Hi?=", "unkcs@example.com",
 "Content-Type: text/plain; charset=x-unknown-42\r\n") + "\r\n").encode() + "Caf\xe9 in an unknown charset.\r\n".encode("latin-1")

M["broken_content_type.eml"] = hdr("broken@example.com", "Bad content type", "badct@example.com",
 "Content-Type: text/plain; charset=\"utf-8; format=flowed\r\n") + "\r\nStill readable.\r\n"

M["invalid_date.eml"] = ("From: someone@example.com\r\nTo: support@acme.test\r\nSubject: Odd date\r\nDate: the day after tomorrow\r\n"
 "Message-ID: <baddate@example.com>\r\n\r\nThe date header is nonsense.\r\n")

M["no_from.eml"] = ("To: support@acme.test\r\nSubject: Who sent this?\r\nMessage-ID: <nofrom@example.com>\r\n\r\nNo From header at all.\r\n")

M["forged_from.eml"] = ("From: \"support@acme.test\" <attacker@evil.example>\r\nTo: support@acme.test\r\nSubject: Urgent: reset the admin password\r\n"
 "Message-ID: <forged@evil.example>\r\n\r\nThe display name pretends to be the desk.\r\n")

M["from_own_mailbox.eml"] = ("From: Acme Support <support@acme.test>\r\nTo: support@acme.test\r\nSubject: Loop\r\n"
 "Message-ID: <loop@acme.test>\r\n\r\nMail from our own address.\r\n")

M["nul_and_controls.eml"] = ("From: ctl@example.com\r\nTo: support@acme.test\r\nSubject: Bell\x07 and\x00 NUL\r\nMessage-ID: <nul@example.com>\r\n"
 "Content-Type: text/plain; charset=utf-8\r\n\r\nText with a NUL\x00 byte, a bell\x07, an escape\x1b[31m and a\ttab.\r\n")

M["no_message_id.eml"] = ("From: nomid@example.com\r\nTo: support@acme.test\r\nSubject: No Message-ID\r\n\r\nThe dedupe key is the digest.\r\n")

M["html_script.eml"] = hdr("html@example.com", "HTML with script", "script@example.com", "Content-Type: text/html; charset=utf-8\r\n") + (
 "\r\n<html><body><p onclick=\"steal()\">Hello</p><script>alert(1)</script><a href=\"javascript:alert(2)\">x</a><img src=\"https://tracker.example/p.gif\"></body></html>\r\n")

M["plus_address.eml"] = ("From: Priya Sharma <priya@example.in>\r\nTo: support+t101@acme.test\r\nSubject: about my issue\r\n"
 "Message-ID: <plus-1@example.in>\r\n\r\nReplying by the plus address.\r\n")

M["cc_people.eml"] = hdr("Priya Sharma <priya@example.in>", "Team access", "cc-1@example.in",
 "Cc: Amit Verma <amit@example.in>, =?UTF-8?B?%s?= <sunita@example.in>, support@acme.test\r\nContent-Type: text/plain\r\n" % b64("सुनीता")) + "\r\nPlease give my colleagues access.\r\n"

M["mbox_from_line.eml"] = "From priya@example.in Tue Nov  3 10:15:00 2026\r\n" + hdr("priya@example.in", "From an mbox", "mbox@example.in", "") + "\r\nMbox export.\r\n"

M["lf_only.eml"] = ("From: lf@example.com\nTo: support@acme.test\nSubject: Bare line feeds\nMessage-ID: <lf@example.com>\n"
 "Content-Type: text/plain\n\nLines end in LF only.\nSecond line.\n")

M["base64_multipart_gateway.eml"] = hdr("gw@example.com", "Gateway encoded multipart", "gw@example.com",
 'Content-Type: multipart/mixed; boundary="gwb"\r\nContent-Transfer-Encoding: base64\r\n') + "\r\n" + b64lines(
 b"--gwb\r\nContent-Type: text/plain\r\n\r\nInside a base64 multipart.\r\n--gwb--\r\n") + "\r\n"

# MIME bombs, written out so the corpus holds them as they arrive.
deep = "From: bomb@example.com\r\nTo: support@acme.test\r\nSubject: Deep nesting\r\nMessage-ID: <deep@example.com>\r\n"
body = "Content-Type: text/plain\r\n\r\nThe bottom.\r\n"
for i in range(60):
    body = 'Content-Type: multipart/mixed; boundary="d%d"\r\n\r\n--d%d\r\n%s\r\n--d%d--\r\n' % (i, i, body, i)
M["bomb_deep_nesting.eml"] = deep + "MIME-Version: 1.0\r\n" + body

parts = "".join("--p\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"f%d.txt\"\r\n\r\nfile %d\r\n" % (i, i) for i in range(3000))
M["bomb_many_parts.eml"] = ("From: bomb@example.com\r\nTo: support@acme.test\r\nSubject: Thousands of parts\r\nMessage-ID: <parts@example.com>\r\n"
 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n--p\r\nContent-Type: text/plain\r\n\r\nThe first part is the text.\r\n' + parts + "--p--\r\n")

M["bomb_many_headers.eml"] = ("From: bomb@example.com\r\nTo: support@acme.test\r\nSubject: Thousands of headers\r\nMessage-ID: <headers@example.com>\r\n"
 + "".join("X-Filler-%d: %s\r\n" % (i, "y" * 40) for i in range(5000)) + "\r\nThe body after the headers.\r\n")

# Inline images as Outlook sends them: multipart/related inside
# multipart/alternative, Content-ID "image001.png@01DB..." with the
# disposition inline, and an ordinary attachment beside it.
M["outlook_inline_image.eml"] = hdr("Rahul Verma <rahul@example.in>", "Error on the payment page", "PN3P287MB1234.outlook@example.in",
 'Content-Type: multipart/mixed; boundary="_004_mixed_"\r\n') + """
--_004_mixed_
Content-Type: multipart/related; boundary="_003_related_"; type="multipart/alternative"

--_003_related_
Content-Type: multipart/alternative; boundary="_000_alt_"

--_000_alt_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Hello,

The payment page shows this error:
[cid:image001.png@01DB3F2A.5C6D7E80]

Regards,
Rahul

--_000_alt_
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<html xmlns:o=3D"urn:schemas-microsoft-com:office:office"><body lang=3D"EN-IN"><div class=3D"WordSection1"><p class=3D"MsoNormal">Hello,<o:p></o:p></p><p class=3D"MsoNormal">The payment page shows this error:<o:p></o:p></p><p class=3D"MsoNormal"><img width=3D"640" height=3D"480" style=3D"width:6.66in" id=3D"Picture_x0020_1" src=3D"cid:image001.png@01DB3F2A.5C6D7E80"><o:p></o:p></p><p class=3D"MsoNormal">Regards,<br>Rahul<o:p></o:p></p></div></body></html>

--_000_alt_--

--_003_related_
Content-Type: image/png; name="image001.png"
Content-Description: image001.png
Content-Disposition: inline; filename="image001.png"; size=68
Content-ID: <image001.png@01DB3F2A.5C6D7E80>
Content-Transfer-Encoding: base64

""".replace("\n", "\r\n") + b64lines(PNG) + """

--_003_related_--

--_004_mixed_
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

""".replace("\n", "\r\n") + b64lines(PDF) + "\r\n--_004_mixed_--\r\n"

# Gmail pastes an image as <img src="cid:ii_..."> with an X-Attachment-Id,
# the disposition inline and the Content-ID's case kept in the HTML.
M["gmail_inline_image.eml"] = hdr("Priya Sharma <priya@example.in>", "Screenshot of the login error", "CAJx1=inl456@mail.gmail.com",
 'Content-Type: multipart/related; boundary="000000000000rel"\r\n') + """
--000000000000rel
Content-Type: multipart/alternative; boundary="000000000000alt"

--000000000000alt
Content-Type: text/plain; charset="UTF-8"

Here is what I see:
[image: login.png]

--000000000000alt
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Here is what I see:<div><img src=3D"cid:ii_lq2x8k3n0" alt=3D"login.png" width=3D"562" height=3D"243"><br></div></div>

--000000000000alt--

--000000000000rel
Content-Type: image/png; name="login.png"
Content-Disposition: inline; filename="login.png"
Content-Transfer-Encoding: base64
X-Attachment-Id: ii_lq2x8k3n0
Content-ID: <ii_lq2x8k3n0>

""".replace("\n", "\r\n") + b64lines(PNG) + "\r\n--000000000000rel--\r\n"

# Apple Mail with two pasted images and no disposition (only a Content-ID,
# which makes a part inline), one referred to with the angle brackets
# percent-encoded as some clients write them.
M["apple_mail_two_inline_images.eml"] = hdr("Ananya Rao <ananya@example.in>", "Two photos of the parcel", "5E6F7A8B-two@example.in",
 'Content-Type: multipart/related; type="text/html"; boundary="Apple-Mail=_TWO"\r\n') + """
--Apple-Mail=_TWO
Content-Transfer-Encoding: 7bit
Content-Type: text/html; charset=utf-8

<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body style="word-wrap: break-word;">Outside:<br><img apple-inline="yes" id="A1" src="cid:5C3F1E2D-0001@example.in" class=""><br>Inside:<br><img apple-inline="yes" id="A2" src="cid:%3C5C3F1E2D-0002@example.in%3E" class=""></body></html>
--Apple-Mail=_TWO
Content-Transfer-Encoding: base64
Content-Type: image/png; name="IMG_0001.png"
Content-Id: <5C3F1E2D-0001@example.in>

""".replace("\n", "\r\n") + b64lines(PNG) + """
--Apple-Mail=_TWO
Content-Transfer-Encoding: base64
Content-Type: image/png; name="IMG_0002.png"
Content-Id: <5C3F1E2D-0002@example.in>

""".replace("\n", "\r\n") + b64lines(PNG) + "\r\n--Apple-Mail=_TWO--\r\n"

for name, data in M.items():
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(name, "wb") as f:
        f.write(data)
print(len(M), "messages")
