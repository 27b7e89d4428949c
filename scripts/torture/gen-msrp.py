# Writes test/fixtures/torture/msrp/*.txt (issue 11 item 4): the hostile MSRP frames as exact bytes, each
# file opening with '# ' lines (what and which clause, then the expected outcome per transport).
# The fixtures are the test data; this script only keeps them easy to regenerate and review:
# python3 scripts/torture/gen-msrp.py
import os
OUT=os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../test/fixtures/torture/msrp')
for f in os.listdir(OUT): os.remove(os.path.join(OUT,f))
n=[0]
TO='To-Path: msrp://127.0.0.1:2855/nosuchsession;tcp'
FROM='From-Path: msrp://127.0.0.1:40000/torturepeer;tcp'
def frame(tid='t0rture1', method='SEND', headers=None, body=b'hello', flag='$', extra=(), replace=None, drop=(), start=None):
    if headers is None:
        headers=[TO, FROM, 'Message-ID: m-'+tid, f'Byte-Range: 1-{len(body)}/{len(body)}' if body is not None else None, 'Content-Type: text/plain' if body is not None else None]
        headers=[h for h in headers if h]
    headers=[h for h in headers if not any(h.startswith(d) for d in drop)]
    if replace:
        for k,v in replace.items(): headers=[v if h.startswith(k) else h for h in headers]
    headers=headers+list(extra)
    s=(start or f'MSRP {tid} {method}')+'\r\n'+''.join(h+'\r\n' for h in headers)
    data=s.encode('latin1')
    if body is not None: data+=b'\r\n'+body+b'\r\n'
    return data+f'-------{tid}{flag}\r\n'.encode('latin1')
def case(name, what, tcp, data):
    n[0]+=1
    open(os.path.join(OUT,f'{n[0]:02d}-{name}.txt'),'wb').write(f'# {what}\n# tcp: {tcp}\n'.encode()+data)

case('send-unknown-session','RFC 4975 7.3 / 7.2: a well-formed SEND for a session that does not exist: 481','481', frame())
case('failure-report-no','RFC 4975 7.2: Failure-Report: no: even an error is not answered','drop', frame(extra=['Failure-Report: no']))
case('report-unknown-session','RFC 4975 7.1.2: a REPORT is never answered, even for no session','drop', frame(method='REPORT', body=None, extra=['Status: 000 200 OK']))
case('stray-response','RFC 4975 7.3: a response matching no transaction is dropped','drop', frame(start='MSRP t0rture1 200 OK', headers=['To-Path: msrp://127.0.0.1:40000/torturepeer;tcp','From-Path: msrp://127.0.0.1:2855/nosuchsession;tcp'], body=None))
case('unknown-method','RFC 4975 7.3 then 12: an unknown method for a session that does not exist: 481 (the session is checked first)','481', frame(method='FROBNICATE', body=None))
case('auth-method','RFC 4976 5: AUTH is for relays; for a session that does not exist: 481','481', frame(method='AUTH', body=None))
case('no-to-path','RFC 4975 7.2: no To-Path: the request is bad but there is no path to answer on: dropped','drop', frame(drop=('To-Path',)))
case('no-from-path','RFC 4975 7.2: no From-Path: no path to answer on: dropped','drop', frame(drop=('From-Path',)))
case('to-path-not-msrp','RFC 4975 9 (MSRP-URI): To-Path with an http URI cannot be answered along: dropped','drop', frame(replace={'To-Path':'To-Path: http://127.0.0.1/x'}))
case('byte-range-letters','RFC 4975 9 (range): Byte-Range "x-y/z": 400','400', frame(replace={'Byte-Range':'Byte-Range: x-y/z'}))
case('byte-range-backwards','RFC 4975 7.1.1/9: Byte-Range whose end is before its start: 400','400', frame(replace={'Byte-Range':'Byte-Range: 10-2/20'}))
case('byte-range-total-short','RFC 4975 9: Byte-Range end beyond its total: 400','400', frame(replace={'Byte-Range':'Byte-Range: 1-5/3'}))
case('send-no-message-id','RFC 4975 7.1.1: a SEND without Message-ID: 400','400', frame(drop=('Message-ID',)))
case('body-no-content-type','RFC 4975 7.1.1: a body without Content-Type: 400','400', frame(drop=('Content-Type',)))
case('content-type-no-subtype','RFC 4975 9 / RFC 2045: Content-Type "text": 400','400', frame(replace={'Content-Type':'Content-Type: text'}))
case('success-report-maybe','RFC 4975 9: Success-Report "maybe" (yes or no only): 400','400', frame(extra=['Success-Report: maybe']))
case('message-id-bad-chars','RFC 4975 9: Message-ID with characters outside ident: 400','400', frame(replace={'Message-ID':'Message-ID: bad id with spaces'}))
case('nul-in-header','RFC 4975 9 (utf8text excludes NUL): a NUL in a header value: 400','400', frame(extra=['X-Note: a\x00b']))
case('duplicate-to-path','RFC 4975 7.1: two To-Path headers: 400','400', frame(extra=[TO]))
case('header-no-colon','RFC 4975 9 (header = name ":" SP value): a header line without a colon: 400','400', frame(extra=['No colon in this line']))
case('folded-header','RFC 4975 9: no folding in MSRP; a continuation line: 400','400', frame(extra=['X-Fold: a',' continued']))
case('short-tid','RFC 4975 9 (transact-id = ident = ALPHANUM 3*31ident-char, 4 to 32 characters): "MSRP ab SEND" is no start line: skipped, not answered','drop', frame(tid='ab'))
case('lowercase-msrp','RFC 4975 9: the protocol name is "MSRP" in capitals: not a start line, skipped','drop', frame(start='msrp t0rture1 SEND'))
case('garbage-line','RFC 4975 7.2 (robustness): a line of garbage before nothing: skipped, connection kept','drop', b'HELLO THIS IS NOT MSRP\r\n')
case('binary-junk','RFC 4975 7.2 (robustness): 300 bytes of binary junk: skipped, connection kept','drop', bytes((i*53+7)&0xff for i in range(300)).replace(b'MSRP',b'msrp'))
case('head-over-cap','msrp.maxHeaderBytes (8 KiB): a 10 KB header section cannot be framed: 400 (paths were read) then close','400+close', frame(extra=['X-Pad: '+'p'*10000]))
case('end-line-never','RFC 4975 7.1.1: a body whose end-line never comes (wrong transaction id): the head is answered 481, the rest waits','481', frame()[:-len('-------t0rture1$\r\n')]+b'-------wrongtid$\r\n')
case('report-bad-status','RFC 4975 7.1.2: a REPORT with a broken Status header is still never answered','drop', frame(method='REPORT', body=None, extra=['Status: 999 abc']))
case('response-bad-code','RFC 4975 9 (status-code = 3DIGIT): "MSRP t0rture1 99 x" is no start line: skipped','drop', frame(start='MSRP t0rture1 99 x', headers=['To-Path: msrp://127.0.0.1:40000/torturepeer;tcp','From-Path: msrp://127.0.0.1:2855/nosuchsession;tcp'], body=None))
case('bad-then-good','RFC 4975 7.2: a bad request (400) then a good one on the same connection (481): both answered in order','400,481', frame(tid='firstbad', replace={'Byte-Range':'Byte-Range: x'})+frame(tid='secondok'))
case('crlf-keepalive-first','RFC 4975 (robustness): CRLFs before a frame are skipped: 481','481', b'\r\n\r\n\r\n'+frame())
case('big-body','RFC 4975 7.1.1: a 200 KB body for a session that does not exist: answered at the head (481), the body discarded','481', frame(body=b'B'*200000))
case('aborted-chunk','RFC 4975 7.1.1: a chunk ended with # for a session that does not exist: 481','481', frame(flag='#'))
case('continued-chunk','RFC 4975 7.1.1: a chunk ended with + (more to come) for no session: 481','481', frame(flag='+', replace={'Byte-Range':'Byte-Range: 1-5/*'}))
case('relay-path','RFC 4976: a two-hop To-Path whose first URI names no session here: 481','481', frame(replace={'To-Path':'To-Path: msrp://127.0.0.1:2855/nosuchhop;tcp msrp://192.0.2.1:2855/far;tcp'}))
case('msrps-in-clear','RFC 4975 6 / 14.2: an msrps: To-Path over plain TCP for no session: 481','481', frame(replace={'To-Path':'To-Path: msrps://127.0.0.1:2856/nosuchsession;tcp'}))
case('ipv6-paths','RFC 4975 9 / RFC 3986: IPv6 references in both paths: 481','481', frame(replace={'To-Path':'To-Path: msrp://[::1]:2855/nosuchsession;tcp','From-Path':'From-Path: msrp://[2001:db8::1]:40000/peer;tcp'}))
case('utf8-comment-response','RFC 4975 7.3: a response with a non-UTF-8 comment, matching nothing: dropped','drop', frame(start='MSRP t0rture1 481 \xff\xfe', headers=['To-Path: msrp://127.0.0.1:40000/torturepeer;tcp','From-Path: msrp://127.0.0.1:2855/nosuchsession;tcp'], body=None))
print(n[0])
