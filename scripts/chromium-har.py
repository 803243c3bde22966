#!/usr/bin/env python3
"""Record a HAR 1.2 file with headless Chromium, on loopback only.

Chromium has no command-line HAR export (DevTools' "Save all as HAR" is
front-end code), so this script drives Chromium over the DevTools protocol
(--remote-debugging-pipe), records the Network domain's events for a page
on 127.0.0.1 that fetches three cross-origin resources from another port,
and writes them in HAR 1.2 form with DevTools' custom fields (_error,
_fromCache, serverIPAddress). What each entry says (URLs, request headers,
statuses, response headers, errors) is what Chromium reported over the
protocol; the file layout is this script's, and a failed request is
written with status 0 and _error = Chromium's errorText (plus _corsError,
the protocol's corsErrorStatus).

Usage: scripts/chromium-har.py OUT.har   (needs /usr/bin/chromium)
The fixture internal/har/testdata/chromium.har was made with it; its URLs
point at 127.0.0.1 ports that no longer exist, and tests rewrite them.
"""
import http.server, json, os, socketserver, subprocess, sys, tempfile, threading, time

PAGE = """<!doctype html><title>loading</title><script>
const api = 'http://127.0.0.1:%d';
Promise.allSettled([
  fetch(api + '/ok.json', {credentials: 'include'}),
  fetch(api + '/no-acao.json'),
  fetch(api + '/wrong.json'),
]).then(() => { document.title = 'done'; });
</script>"""

class Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

def serve(handler):
    srv = socketserver.ThreadingTCPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv

def main(out):
    class API(Quiet):
        def do_GET(self):
            origin = self.headers.get('Origin')
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Cache-Control', 'public, max-age=60')
            self.send_header('X-Cache', 'MISS')
            if self.path == '/ok.json' and origin:
                self.send_header('Access-Control-Allow-Origin', origin)
                self.send_header('Access-Control-Allow-Credentials', 'true')
                self.send_header('Vary', 'Origin')
            elif self.path == '/wrong.json':
                self.send_header('Access-Control-Allow-Origin', 'https://app.example.com')
            self.end_headers()
            self.wfile.write(b'{"secret-body": "HARSECRET-body"}')
    api = serve(API)
    apiport = api.server_address[1]

    class Page(Quiet):
        def do_GET(self):
            self.send_response(200)
            self.send_header('Content-Type', 'text/html')
            self.send_header('Set-Cookie', 'sid=HARSECRET-cookie; Path=/')
            self.end_headers()
            self.wfile.write((PAGE % apiport).encode())
    page = serve(Page)
    pageurl = 'http://127.0.0.1:%d/' % page.server_address[1]

    r_chrome, w_ours = os.pipe()   # we write, Chromium reads fd 3
    r_ours, w_chrome = os.pipe()   # Chromium writes fd 4
    profile = tempfile.mkdtemp(prefix='corscope-har-')
    def fds():
        os.dup2(r_chrome, 3)
        os.dup2(w_chrome, 4)
    proc = subprocess.Popen(
        ['/usr/bin/chromium', '--headless=new', '--no-sandbox', '--disable-gpu',
         '--remote-debugging-pipe', '--user-data-dir=' + profile,
         '--no-first-run', '--no-default-browser-check', 'about:blank'],
        pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(r_chrome); os.close(w_chrome)
    wfile = os.fdopen(w_ours, 'wb', buffering=0)
    rfile = os.fdopen(r_ours, 'rb', buffering=0)
    buf = b''
    next_id = [0]
    events = []

    def send(method, params=None, session=None):
        next_id[0] += 1
        msg = {'id': next_id[0], 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        wfile.write(json.dumps(msg).encode() + b'\0')
        return next_id[0]

    def read_msg():
        nonlocal buf
        while b'\0' not in buf:
            chunk = rfile.read(65536)
            if not chunk:
                raise SystemExit('chromium closed the pipe')
            buf += chunk
        raw, buf = buf.split(b'\0', 1)
        return json.loads(raw)

    def call(method, params=None, session=None):
        i = send(method, params, session)
        while True:
            m = read_msg()
            if m.get('id') == i:
                if 'error' in m:
                    raise SystemExit('%s: %s' % (method, m['error']))
                return m.get('result', {})
            events.append(m)

    try:
        tid = call('Target.createTarget', {'url': 'about:blank'})['targetId']
        sid = call('Target.attachToTarget', {'targetId': tid, 'flatten': True})['sessionId']
        call('Network.enable', {}, sid)
        call('Page.enable', {}, sid)
        call('Page.navigate', {'url': pageurl}, sid)
        deadline = time.time() + 15
        while time.time() < deadline:
            res = call('Runtime.evaluate', {'expression': 'document.title'}, sid)
            if res.get('result', {}).get('value') == 'done':
                break
            time.sleep(0.2)
        else:
            raise SystemExit('the page did not finish')
        time.sleep(0.5)
        call('Runtime.evaluate', {'expression': '1'}, sid)  # drain events
        version = call('Browser.getVersion')
    finally:
        proc.kill()
        proc.wait()

    reqs = {}
    order = []
    for m in events:
        p = m.get('params', {})
        rid = p.get('requestId')
        meth = m.get('method', '')
        if not rid or not meth.startswith('Network.'):
            continue
        r = reqs.setdefault(rid, {})
        if rid not in order:
            order.append(rid)
        if meth == 'Network.requestWillBeSent':
            r['req'] = p['request']
            r['wallTime'] = p.get('wallTime')
        elif meth == 'Network.requestWillBeSentExtraInfo':
            r['reqExtra'] = p.get('headers', {})
        elif meth == 'Network.responseReceived':
            r['resp'] = p['response']
        elif meth == 'Network.responseReceivedExtraInfo':
            r['respExtra'] = p
        elif meth == 'Network.loadingFailed':
            r['failed'] = p
    entries = []
    for rid in order:
        r = reqs[rid]
        if 'req' not in r:
            continue
        req = r['req']
        headers = dict(req.get('headers', {}))
        headers.update(r.get('reqExtra', {}))
        resp = r.get('resp')
        failed = r.get('failed')
        started = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(r.get('wallTime') or time.time())) + '.000Z'
        e = {
            'startedDateTime': started, 'time': 0,
            'request': {'method': req['method'], 'url': req['url'], 'httpVersion': 'HTTP/1.1', 'cookies': [],
                        'headers': [{'name': k, 'value': v} for k, v in headers.items()],
                        'queryString': [], 'headersSize': -1, 'bodySize': 0},
            'response': {'status': 0, 'statusText': '', 'httpVersion': '', 'cookies': [], 'headers': [],
                         'content': {'size': 0, 'mimeType': 'x-unknown'}, 'redirectURL': '',
                         'headersSize': -1, 'bodySize': -1},
            'cache': {}, 'timings': {'send': 0, 'wait': 0, 'receive': 0},
        }
        if resp and not failed:
            e['response'].update({'status': resp['status'], 'statusText': resp.get('statusText', ''),
                                  'httpVersion': resp.get('protocol', ''),
                                  'headers': [{'name': k, 'value': v} for k, v in resp.get('headers', {}).items()],
                                  'content': {'size': 0, 'mimeType': resp.get('mimeType', '')}})
            e['serverIPAddress'] = resp.get('remoteIPAddress', '')
            if resp.get('fromDiskCache'):
                e['_fromCache'] = 'disk'
        if failed:
            e['response']['_error'] = failed.get('errorText', '')
            if failed.get('corsErrorStatus'):
                e['response']['_corsError'] = failed['corsErrorStatus'].get('corsError', '')
        entries.append(e)
    har = {'log': {'version': '1.2',
                   'creator': {'name': 'corscope scripts/chromium-har.py (Chromium DevTools protocol events)', 'version': '1'},
                   'browser': {'name': 'Chromium', 'version': version.get('product', '')},
                   'pages': [], 'entries': entries}}
    with open(out, 'w') as f:
        json.dump(har, f, indent=1)
    print('%d entries written to %s' % (len(entries), out))

if __name__ == '__main__':
    main(sys.argv[1])
