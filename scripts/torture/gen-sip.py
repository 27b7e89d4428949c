# Writes test/fixtures/torture/sip/*.txt (issue 11 item 4): the hostile SIP messages as exact bytes, each
# file opening with '# ' lines (what and which clause, then the expected outcome per transport).
# The fixtures are the test data; this script only keeps them easy to regenerate and review:
# python3 scripts/torture/gen-sip.py
import os
OUT=os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../test/fixtures/torture/sip')
for f in os.listdir(OUT): os.remove(os.path.join(OUT,f))
n=[0]
def head(method='OPTIONS', ruri='sip:localhost', name='', extra=(), drop=(), replace=None, mf='70', cseq=None, via=None):
    h=[f'{method} {ruri} SIP/2.0',
       via or f'Via: SIP/2.0/{{{{transport}}}} 127.0.0.1:5070;branch=z9hG4bK-{name}-{{{{tid}}}};rport',
       f'Max-Forwards: {mf}',
       f'From: <sip:torture@localhost>;tag=t-{name}',
       'To: <sip:localhost>',
       f'Call-ID: {name}-{{{{tid}}}}@torture',
       f'CSeq: {cseq or "1 "+method}']
    h=[l for l in h if not any(l.startswith(d) for d in drop)]
    if replace:
        for k,v in replace.items():
            h=[v if l.startswith(k) else l for l in h]
    return h+list(extra)
def msg(fname, what, udp, tcp, lines=None, body=b'', cl='auto', raw=None, **kw):
    name=kw.pop('name', fname)
    n[0]+=1
    if raw is None:
        lines = lines if lines is not None else head(name=name, **kw)
        if cl=='auto': lines=lines+[f'Content-Length: {len(body)}']
        elif cl is not None: lines=lines+[f'Content-Length: {cl}']
        data=('\r\n'.join(lines)+'\r\n\r\n').encode('latin1')+body
    else: data=raw
    hdr=f'# {what}\n# udp: {udp}\n# tcp: {tcp}\n'.encode()
    open(os.path.join(OUT,f'{n[0]:02d}-{name}.txt'),'wb').write(hdr+data)

# ---- RFC 4475 3.1.1: valid messages the parser must take (tortuous but legal)
msg('ws-fold-compact','RFC 4475 3.1.1.1: odd whitespace, folded lines, compact and mixed-case names: accepted (RFC 3261 7.3.1)','200','200',
  lines=['OPTIONS sip:localhost SIP/2.0','v:  SIP/2.0/{{transport}}   127.0.0.1:5070\r\n  ;branch=z9hG4bK-ws-{{tid}} ;rport','mAX-fORWARDS:\t70','f:   "Torture  Test"\r\n\t<sip:torture@localhost>\r\n ;tag=t-ws','t:<sip:localhost>','i:ws-{{tid}}@torture','cSeQ:   1\r\n OPTIONS','sUbJeCt:'])
msg('token-method','RFC 4475 3.1.1.2: a method made of every token character is a legal unknown method: 501 (RFC 3261 8.2.1, 21.5.2)','501','501',
  method="!interesting-Method0123456789_*+`.%indeed'~", name='token-method')
msg('esc-ruri-user','RFC 4475 3.1.1.3: escaped characters in the Request-URI user: a user of this domain, not registered: 404','404','404',
  ruri='sip:%61lice%20smith@localhost', name='esc-ruri-user')
msg('escnull','RFC 4475 3.1.1.4: escaped NUL (%00) in From and To user parts is legal: accepted','200','200',
  name='escnull', replace={'From:':'From: <sip:nul%00nul@localhost>;tag=t-escnull','To:':'To: <sip:nul%00nul@localhost>'})
msg('pct-not-escape','RFC 4475 3.1.1.5: % in a method and a header name is not an escape: RE%47IST%45R is an unknown method (501), not REGISTER','501','501',
  method='RE%47IST%45R', name='pct-not-escape', extra=['C%6Fntact: <sip:alias2@127.0.0.1>','Contact: <sip:alias1@127.0.0.1>'])
msg('lws-display','RFC 4475 3.1.1.6: display names with LWS, no space before <, quoted with escapes: accepted','200','200',
  name='lws-display', replace={'From:':'From: "J Rosenberg \\\\\\"" <sip:torture@localhost>;tag=t-lws','To:':'To:  Two\t  Words<sip:localhost>'})
msg('long-values','RFC 4475 3.1.1.7: long but legal values (Call-ID, extension header, many params) under the head cap: accepted','200','200',
  name='long-values', extra=['X-Long: '+'a'*4000, 'Contact: <sip:torture@127.0.0.1:5070;'+';'.join(f'p{i}={i}' for i in range(200))+'>'])
msg('semi-user','RFC 4475 3.1.1.9: a semicolon in the user part of a URI: accepted','200','200',
  name='semi-user', replace={'To:':'To: <sip:user;par=u%40example.net@localhost>'})
msg('many-transports','RFC 4475 3.1.1.10: lower Via entries with unknown transports: accepted, answered to the top Via','200','200',
  name='many-transports', extra=['Via: SIP/2.0/SCTP 192.0.2.9:5060;branch=z9hG4bKs','Via: SIP/2.0/NEWTRANS 192.0.2.8;branch=z9hG4bKn','Via: SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bKt'])
mp=b'--xyz\r\nContent-Type: text/plain\r\n\r\nhello\r\n--xyz\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n--xyz--\r\n'
msg('multipart-body','RFC 4475 3.1.1.11: a multipart body with binary content on OPTIONS: accepted','200','200',
  name='multipart-body', extra=['Content-Type: multipart/mixed;boundary=xyz'], body=mp)
msg('unreasonable','RFC 4475 3.1.1.12: unreasonable but legal values (huge Expires in a header param, odd extension headers): accepted','200','200',
  name='unreasonable', extra=['Expires: 4294967295','X-Weird: !@#$%^&*()_+{}|:"<>?~`','Subject: '+'\u00e9\u00e8'.encode('utf8').decode('latin1')*20])
msg('novel-scheme','RFC 4475 3.3.3 (novelsc) with a sip: Request-URI: unknown URI schemes in To and Contact are legal there: accepted','200','200',
  name='novel-scheme', replace={'To:':'To: <nosuchscheme:weird;stuff?here>'}, extra=['Contact: <urn:uuid:6fa459ea-ee8a-3ca4-894e-db77e160355e>'])
msg('reason-empty-response','RFC 4475 3.1.1.14: a response with an empty reason phrase, matching no transaction: dropped (RFC 3261 18.1.2)','drop','drop',
  lines=['SIP/2.0 100 ','Via: SIP/2.0/{{transport}} 127.0.0.1:5060;branch=z9hG4bK-noreason-{{tid}}','From: <sip:torture@localhost>;tag=a','To: <sip:localhost>;tag=b','Call-ID: noreason-{{tid}}@torture','CSeq: 1 OPTIONS'])
msg('compact-cl-body','RFC 3261 7.3.3: compact Content-Length (l:) with a body: accepted','200','200',
  name='compact-cl-body', extra=['c: text/plain','l: 5'], body=b'hello', cl=None)
msg('udp-extra-body','RFC 3261 18.3: on UDP a body longer than Content-Length is cut to it and the message taken; on TCP the extra bytes start the next message','200','200',
  name='udp-extra-body', extra=['Content-Type: text/plain','Content-Length: 2'], body=b'okTRAILING', cl=None)
msg('maxfwd0-options-here','RFC 4475 3.3.11 / RFC 3261 16.3 step 2: OPTIONS to this server with Max-Forwards 0 is answered here: 200','200','200', name='maxfwd0-options-here', mf='0')
msg('ipv6-everywhere','RFC 5118 / RFC 3261 25.1: IPv6 references in Via, Contact and To: accepted','200','200',
  name='ipv6-everywhere', extra=['Via: SIP/2.0/UDP [2001:db8::10]:5070;branch=z9hG4bKv6;received=[2001:db8::9]','Contact: <sip:torture@[2001:db8::10]:5070;transport=udp>'], replace={'To:':'To: <sip:user@[2001:db8::1]>'})
msg('lowercase-method','RFC 3261 7.1: methods are case-sensitive: "options" is an unknown method: 501','501','501', method='options', name='lowercase-method')
msg('leading-crlf','RFC 3261 7.5: CRLFs before the start line are ignored: accepted','200','200',
  raw=None, lines=['\r\n\r\nOPTIONS sip:localhost SIP/2.0']+head(name='leading-crlf')[1:])
# (the generic helper appends Content-Length; this one carries l: instead)
msg('every-compact-form','RFC 3261 7.3.3: every compact header form (v f t i m l c k s): accepted','200','200',
  lines=['OPTIONS sip:localhost SIP/2.0','v: SIP/2.0/{{transport}} 127.0.0.1:5070;branch=z9hG4bK-compact-{{tid}};rport','f: <sip:torture@localhost>;tag=t-c','t: <sip:localhost>','i: compact-{{tid}}@torture','CSeq: 1 OPTIONS','m: <sip:torture@127.0.0.1:5070>','k: path','s: compact','c: text/plain','l: 1'], body=b'x', cl=None)
msg('no-max-forwards','RFC 3261 8.2 lists no check of Max-Forwards presence for a UAS: a request without it is answered: 200','200','200', name='no-max-forwards', drop=('Max-Forwards',))
msg('require-unknown','RFC 3261 8.2.2.3 / RFC 4475 3.3.5: Require names an extension we lack: 420 Bad Extension','420','420', name='require-unknown', extra=['Require: nothingSupportedHere, nothingHereEither'])
msg('proxy-require-options','RFC 3261 20.29: Proxy-Require is for proxies; OPTIONS to this server answered: 200','200','200', name='proxy-require-options', extra=['Proxy-Require: nosuchext'])
msg('no-branch-2543','RFC 4475 3.4.1 / RFC 3261 17.2.3: an RFC 2543 request (Via without branch): matched the old way and answered','200','200',
  name='no-branch-2543', via='Via: SIP/2.0/{{transport}} 127.0.0.1:5070;rport')
msg('branch-without-cookie','RFC 4475 3.2.1 / RFC 3261 8.1.1.7: a branch without the magic cookie is still a branch: answered','200','200',
  name='branch-without-cookie', via='Via: SIP/2.0/{{transport}} 127.0.0.1:5070;branch=oldstyle-{{tid}};rport')
msg('register-y2038','RFC 3261 20.19 / 10.3: REGISTER with Expires 2^32: registered with the expiry cut to the maximum: 200','200','200',
  method='REGISTER', name='register-y2038', replace={'To:':'To: <sip:torture@localhost>','From:':'From: <sip:torture@localhost>;tag=t-y2038'}, ruri='sip:localhost',
  extra=['Contact: <sip:torture@127.0.0.1:5070>','Expires: 4294967296'])
msg('register-escaped-contact','RFC 4475 3.3.14 (regescrt): REGISTER whose Contact URI carries an escaped header: 200','200','200',
  method='REGISTER', name='register-escaped-contact', replace={'To:':'To: <sip:torture2@localhost>','From:':'From: <sip:torture2@localhost>;tag=t-rec'},
  extra=['Contact: <sip:torture2@127.0.0.1:5070?Route=%3Csip:sip.example.com%3E>','Expires: 60'])
msg('register-contact-params','RFC 4475 3.3.12/3.3.13 (cparam): REGISTER Contacts with parameters inside and outside the brackets: 200','200','200',
  method='REGISTER', name='register-contact-params', replace={'To:':'To: <sip:torture3@localhost>','From:':'From: <sip:torture3@localhost>;tag=t-rcp'},
  extra=['Contact: <sip:torture3@127.0.0.1:5070;transport=udp;lr>;expires=60;q=0.5, "With Name" <sip:torture3@127.0.0.1:5071>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000000000001>"'])
msg('tel-ruri','RFC 3261 8.2.2.1: a Request-URI scheme this server does not serve (tel:): 416 Unsupported URI Scheme','416','416', ruri='tel:+15551234567', name='tel-ruri')
msg('cancel-nothing','RFC 3261 9.2: CANCEL matching no transaction: 481','481','481', method='CANCEL', name='cancel-nothing')
msg('bye-nothing','RFC 3261 15.1.2: BYE for no dialog: 481','481','481', method='BYE', name='bye-nothing', replace={'To:':'To: <sip:localhost>;tag=nosuchdialog'})
msg('ack-nothing','RFC 3261 17.2.3 / 8.2: an ACK matching nothing is absorbed, never answered','drop','drop', method='ACK', name='ack-nothing')
msg('huge-call-id-ok','RFC 3261 25.1: a 12000-byte Call-ID under the 16 KiB head cap: accepted','200','200',
  name='huge-call-id-ok', replace={'Call-ID:':'Call-ID: '+'c'*12000+'-{{tid}}'})
msg('many-vias','RFC 3261 8.2.6.2: 60 Via entries, answered to the top one with all of them copied: 200','200','200',
  name='many-vias', extra=[f'Via: SIP/2.0/UDP 192.0.2.{i}:5060;branch=z9hG4bKmany{i}' for i in range(1,61)])
msg('unknown-content-encoding','RFC 3261 8.2.3: a body in a Content-Encoding this server does not understand: 415 with Accept-Encoding','415','415',
  name='unknown-content-encoding', extra=['Content-Type: text/plain','Content-Encoding: x-nobody-knows'], body=b'zz')
msg('compact-content-encoding','RFC 3261 8.2.3 / 7.3.3: the same with the compact form e: 415','415','415',
  name='compact-content-encoding', extra=['Content-Type: text/plain','e: gzip'], body=b'zz')
msg('unknown-content-type','RFC 4475 3.3.6 (invut) / RFC 3261 8.2.3: a body of a type this server does not accept: 415 with Accept','415','415',
  name='unknown-content-type', extra=['Content-Type: application/unknownformat'], body=b'<something/>')

# ---- RFC 4475 3.1.2: invalid messages (answered 400/505/513/413 when a Via can be read)
msg('sep-extraneous','RFC 4475 3.1.2.1: extraneous separators in a name-addr parameter list: 400','400','400',
  name='sep-extraneous', replace={'To:':'To: <sip:localhost>;;,;,,'})
msg('cl-larger','RFC 4475 3.1.2.2 / RFC 3261 18.3: Content-Length larger than the datagram: UDP 400; a stream waits for the bytes (no answer yet)','400','drop',
  name='cl-larger', extra=['Content-Type: text/plain','Content-Length: 9999'], body=b'short', cl=None)
msg('cl-negative','RFC 4475 3.1.2.3: negative Content-Length: 400; on a stream it cannot be framed: 400 and close','400','400+close',
  name='cl-negative', extra=['Content-Length: -999'], cl=None)
msg('cseq-overflow','RFC 4475 3.1.2.4 / RFC 3261 8.1.1.5: CSeq number 2^32: 400','400','400', name='cseq-overflow', cseq='4294967296 OPTIONS')
msg('maxfwd-overflow','RFC 4475 3.1.2.4: Max-Forwards 300 (above 255): 400','400','400', name='maxfwd-overflow', mf='300')
msg('unterminated-quote','RFC 4475 3.1.2.6: unterminated quoted display name: 400','400','400',
  name='unterminated-quote', replace={'From:':'From: "Mr. Unterminated <sip:torture@localhost>;tag=t-uq'})
msg('ltgt-ruri','RFC 4475 3.1.2.7: Request-URI in angle brackets: 400','400','400', ruri='<sip:localhost>', name='ltgt-ruri')
msg('malformed-ruri','RFC 3261 25.1 (hostport): a malformed SIP URI (user@ with empty host and a port beyond 65535) as Request-URI: 400','400','400', ruri='sip:user@:99999999', name='malformed-ruri')
msg('lws-ruri','RFC 4475 3.1.2.8: LWS inside the Request-URI: 400','400','400', ruri='sip:local host', name='lws-ruri')
msg('trailing-sp-version','RFC 4475 3.1.2.10: SP after SIP-Version in the Request-Line: 400','400','400',
  lines=['OPTIONS sip:localhost SIP/2.0 ']+head(name='trailing-sp-version')[1:])
msg('escaped-headers-ruri','RFC 4475 3.1.2.11: escaped headers in the Request-URI: 400','400','400', ruri='sip:localhost?Route=%3Csip:example.com%3E', name='escaped-headers-ruri')
msg('bad-date','RFC 4475 3.1.2.12: Date not in GMT: 400','400','400', name='bad-date', extra=['Date: Fri, 01 Jan 2010 16:00:00 EST'])
msg('bare-uri-headers','RFC 4475 3.1.2.13: a Contact URI with ? headers not enclosed in <>: 400','400','400',
  name='bare-uri-headers', extra=['Contact: sip:torture@127.0.0.1?Route=%3Csip:x%3E'])
msg('lws-addr-spec','RFC 4475 3.1.2.14: spaces inside the addr-spec in <>: 400','400','400',
  name='lws-addr-spec', replace={'To:':'To: <sip:local host>'})
msg('display-non-token','RFC 4475 3.1.2.15: unquoted display name with non-token characters: 400','400','400',
  name='display-non-token', replace={'From:':'From: Bell, Alexander <sip:torture@localhost>;tag=t-dn'})
msg('version-7','RFC 4475 3.1.2.16 / RFC 3261 21.5.14: SIP/7.0: 505 Version Not Supported','505','505',
  lines=['OPTIONS sip:localhost SIP/7.0']+head(name='version-7')[1:])
msg('cseq-mismatch','RFC 4475 3.1.2.17: CSeq method differs from the method: 400','400','400', name='cseq-mismatch', cseq='1 INVITE')
msg('unknown-method-mismatch','RFC 4475 3.1.2.18: unknown method with a CSeq naming another: 400 (not 501)','400','400', method='NEWMETHOD', name='unknown-method-mismatch', cseq='1 INVITE')
msg('status-overlarge','RFC 4475 3.1.2.19: a response with a status code of 10 digits: dropped','drop','drop',
  lines=['SIP/2.0 4294967301 Large','Via: SIP/2.0/{{transport}} 127.0.0.1:5060;branch=z9hG4bK-big-{{tid}}','From: <sip:torture@localhost>;tag=a','To: <sip:localhost>;tag=b','Call-ID: big-{{tid}}@torture','CSeq: 1 OPTIONS'])
msg('two-from','RFC 4475 3.3.8 (multi01) / RFC 3261 7.3.1: two From headers in one request: 400','400','400',
  name='two-from', extra=['From: <sip:other@localhost>;tag=t-two'])
msg('two-call-id','RFC 3261 7.3.1: Call-ID is single-valued; two values: 400','400','400', name='two-call-id', extra=['i: second-{{tid}}@torture'])
msg('insufficient','RFC 4475 3.3.1 (insuf): no To, no Call-ID: 400 (the Via can be read)','400','400', name='insufficient', drop=('To:','Call-ID:'))
msg('no-via','RFC 3261 8.1.1.7 / 18.2.1: no Via at all: nothing to answer to; dropped, a stream stays open','drop','drop', name='no-via', drop=('Via:',))
msg('nul-in-value','RFC 3261 25.1: a NUL byte in a header value: 400','400','400', name='nul-in-value', extra=['Subject: bad\x00byte'])
msg('bare-lf','RFC 3261 7: lines ended by LF alone: no CRLFCRLF, so no message: dropped (stream: waits)','drop','drop',
  raw=('OPTIONS sip:localhost SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-lf-{{tid}};rport\nMax-Forwards: 70\nFrom: <sip:torture@localhost>;tag=lf\nTo: <sip:localhost>\nCall-ID: lf-{{tid}}@torture\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n').encode())
msg('bad-utf8-display','RFC 3261 25 (UTF8-NONASCII): malformed UTF-8 in a quoted display name: 400','400','400',
  name='bad-utf8-display', replace={'From:':'From: "Bad \xc3\x28 UTF" <sip:torture@localhost>;tag=t-u8'})
msg('cl-trailing-junk','RFC 3261 20.14: Content-Length "12abc": 400; a stream cannot be framed: 400 and close','400','400+close',
  name='cl-trailing-junk', extra=['Content-Length: 12abc'], cl=None)
msg('no-cl-stream','RFC 3261 18.3 / 20.14: no Content-Length: fine on UDP (200); on a stream it is mandatory: 400 and close','200','400+close', name='no-cl-stream', cl=None)
msg('head-over-cap','RFC 3261 21.5.7 (sip.maxBytesHeaders 16 KiB): a 20 KB header section: 513; a stream cannot go on: 513 and close','513','513+close',
  name='head-over-cap', extra=['X-Pad: '+'p'*20000])
msg('body-over-cap','RFC 3261 18.3 / 21.4.11: Content-Length 999999999: UDP 400 (larger than the datagram); TCP beyond sip.maxContentLength: 413 and close','400','413+close',
  name='body-over-cap', extra=['Content-Type: text/plain','Content-Length: 999999999'], body=b'x', cl=None)
msg('garbage-start','RFC 3261 7.1: a line that is no start line and no Via: nothing to answer; dropped, a stream closed (unframeable)','drop','close',
  raw=b'HELLO THERE\r\nThis: is not SIP\r\n\r\n')
msg('binary-junk','RFC 3261 18: binary junk ending in CRLFCRLF: dropped; a stream closed','drop','close',
  raw=bytes((i*37+11)&0xff for i in range(300)).replace(b'\r\n\r\n',b'xxxx')+b'\r\n\r\n')
msg('stray-200','RFC 3261 18.1.2: a well-formed 200 matching no client transaction: dropped','drop','drop',
  lines=['SIP/2.0 200 OK','Via: SIP/2.0/{{transport}} 127.0.0.1:5060;branch=z9hG4bK-stray-{{tid}}','From: <sip:torture@localhost>;tag=a','To: <sip:localhost>;tag=b','Call-ID: stray-{{tid}}@torture','CSeq: 1 OPTIONS'])
msg('ack-malformed','RFC 3261 17.2.3 / 8.2: a malformed ACK (CSeq method mismatch) is never answered','drop','drop', method='ACK', name='ack-malformed', cseq='1 INVITE')
msg('via-port-overflow','RFC 3261 25.1 / 18.2.2: Via port 99999 is no port: 400, sent back where the request came from (the sent-by cannot be used)','400','400',
  name='via-port-overflow', via='Via: SIP/2.0/{{transport}} 127.0.0.1:99999;branch=z9hG4bK-vpo-{{tid}}')
msg('invite-maxfwd0','RFC 3261 16.3 step 2: INVITE that would be forwarded with Max-Forwards 0: 483','483','483',
  method='INVITE', name='invite-maxfwd0', mf='0', ruri='sip:nobody@localhost', replace={'To:':'To: <sip:nobody@localhost>'},
  extra=['Contact: <sip:torture@127.0.0.1:5070>'])
msg('fold-first-line','RFC 3261 7.3.1: a continuation line right after the start line: 400','400','400',
  lines=['OPTIONS sip:localhost SIP/2.0',' folded-nothing']+head(name='fold-first-line')[1:])
msg('header-no-colon','RFC 3261 7.3.1: a header line without a colon: 400','400','400', name='header-no-colon', extra=['This line has no colon'])
print(n[0])
