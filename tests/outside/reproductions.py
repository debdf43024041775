# Repeats the outside security review's reproductions against a server binary and prints what each
# answered, so an older and a newer build can be compared line by line:
#   python3 tests/outside/reproductions.py target/debug/careline-server sqlite
#   CARELINE_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres \
#     python3 tests/outside/reproductions.py target/debug/careline-server postgres
# The assertions live in crates/server/tests/holes.rs (run by the test command); this is the
# outside view, in the attacker's own steps.
import json, os, socket, subprocess, sys, tempfile, time, urllib.request, urllib.error, uuid, stat

binary, engine = sys.argv[1], sys.argv[2]
data = tempfile.mkdtemp() + "/data"
env = dict(os.environ, CARELINE_DATA_DIR=data, CARELINE_LOG="warn", CARELINE_SECRET_KEY="ab" * 32)
if engine == "postgres":
    name = "repro_" + uuid.uuid4().hex[:8]
    admin_url = os.environ["CARELINE_TEST_POSTGRES"]
    subprocess.run(["psql", "-q", admin_url, "-c", f"CREATE DATABASE {name}"], check=True)
    env["CARELINE_DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + name
subprocess.run([binary, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
env["CARELINE_LISTEN"] = f"127.0.0.1:{port}"
proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/healthz"); break
    except Exception:
        time.sleep(0.1)

def call(method, path, body=None, token=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None or raw is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        r = urllib.request.urlopen(req)
        text = r.read().decode()
        return r.status, (json.loads(text) if text.startswith(("{", "[")) else text)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, (json.loads(text) if text.startswith("{") else text)

PW = "careline-demo"
_, admin = call("POST", "/api/v1/auth/login", {"login": "admin", "password": PW}); admin = admin["token"]
_, anna = call("POST", "/api/v1/auth/login", {"login": "anna", "password": PW}); anna = anna["token"]
_, ops = call("GET", "/api/v1/operators", token=anna)
admin_id = [o for o in ops["items"] if o["login"] == "admin"][0]["id"]
out = []
# 1
st, _ = call("POST", "/api/v1/clients", {"id": admin_id, "name": "x", "phone": "+79850000001"}, anna)
call("POST", "/api/v1/clients/register", {"name": "x", "phone": "+79850000001", "password": "pass-word-1"})
_, l = call("POST", "/api/v1/auth/login", {"login": "+79850000001", "password": "pass-word-1"})
_, me = call("GET", "/api/v1/me", token=l["token"])
out.append(f"1  client with the admin's id: {st}; logged in by its phone as role {me['user']['role']}")
# 2
_, rec = call("POST", "/api/v1/clients", {"name": "Мария", "phone": "+79851112233", "city": "Тверь"}, anna)
st, reg = call("POST", "/api/v1/clients/register", {"name": "Stranger", "phone": "+79851112233", "password": "stranger-1"})
_, me = call("GET", "/api/v1/me", token=reg["token"])
out.append(f"2  a stranger registering reception's phone: {st}, got the record: {me['user']['id'] == rec['id']} (city {me['client'].get('city')})")
# 9
st, b = call("POST", "/api/v1/clients/register", {"name": "Prober", "phone": "+79851112233", "password": "prober-pass-1"})
out.append(f"9  registering a known phone: {st} {b.get('message', '') if isinstance(b, dict) else ''}")
# 3
for _ in range(40):
    call("POST", "/api/v1/auth/login", {"login": "anna", "password": "guess-guess"})
st, _ = call("POST", "/api/v1/auth/login", {"login": "anna", "password": PW})
out.append(f"3  40 wrong passwords from a known address, then the right one: {st}")
# 10
_, cl = call("POST", "/api/v1/clients/register", {"name": "NUL", "phone": "+79850001010", "password": "pass-word-1"})
_, c = call("POST", "/api/v1/consultations", {"kind": "chat", "text": "q"}, cl["token"])
cid = c["consultation"]["id"]
call("POST", f"/api/v1/consultations/{cid}/take", {}, anna)
st, _ = call("POST", f"/api/v1/consultations/{cid}/release", None, anna, {"content-type": "Application/JSON"}, raw=b'{"note":"a\\u0000b"}')
out.append(f"10 release with Content-Type Application/JSON and a NUL: {st}")
# 12
key = "dGhlIHNhbXBsZSBub25jZQ=="
sock = socket.create_connection(("127.0.0.1", port))
sock.sendall(f"GET /api/v1/ws?token={cl['token']} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n".encode())
line = sock.recv(200).decode().split("\r\n")[0]; sock.close()
out.append(f"12 WebSocket with ?token= in the URL: {line}")
# 13
_, ev = call("POST", "/api/v1/clients/register", {"name": "=HYPERLINK(\"http://x\",\"y\")", "phone": "+79850001313", "password": "pass-word-1"})
_, c2 = call("POST", "/api/v1/consultations", {"kind": "chat", "text": "q"}, ev["token"])
frm = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(time.time() - 86400)); to = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(time.time() + 86400))
st, csv = call("GET", f"/api/v1/reports/consultations/items?from={frm}&to={to}&moment=any&format=csv", token=admin)
cells = [c for line in str(csv).splitlines() for c in line.split(",")]
live = any(c.lstrip('"').startswith('=') for c in cells)
out.append(f"13 CSV export: a cell starts with '=': {live}")
# 18
st, _ = call("POST", "/api/v1/callbacks", {"phone": "+79990000000"}, cl["token"])
out.append(f"18 a client asks for a callback to another number: {st}")
st, _ = call("GET", "/metrics")
out.append(f"18 /metrics without a token: {st}")
_, olga = call("POST", "/api/v1/auth/login", {"login": "olga", "password": PW})
olga_id = olga["user"]["id"]
call("PATCH", f"/api/v1/operators/{olga_id}", {"disabled": True}, admin)
r1 = call("POST", "/api/v1/auth/login", {"login": "olga", "password": PW})
r2 = call("POST", "/api/v1/auth/login", {"login": "olga", "password": "wrong-password"})
out.append(f"18 disabled account, right vs wrong password: {r1[0]} {r1[1].get('code')} / {r2[0]} {r2[1].get('code')}")
k = str(uuid.uuid4())
call("POST", "/api/v1/auth/login", {"login": "admin", "password": PW}, admin, {"idempotency-key": k})
st, b = call("POST", "/api/v1/auth/login", {"login": "admin", "password": "wrong-password"}, admin, {"idempotency-key": k})
out.append(f"18 the same Idempotency-Key with a wrong password: {st} (a token: {'token' in b if isinstance(b, dict) else False})")
# 11
_, wh = call("POST", "/api/v1/webhooks", {"url": "https://hooks.example.org/x", "events": ["consultation.created"]}, admin)
secret = wh.get("secret", "") if isinstance(wh, dict) else ""
mode = oct(os.stat(data).st_mode & 0o777)
found = None
if engine == "sqlite":
    subprocess.run([binary, "backup", "--to", data + "/bk"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found = any(secret and secret.encode() in open(os.path.join(r, f), "rb").read() for r, _, fs in os.walk(data + "/bk") for f in fs)
out.append(f"11 data dir mode {mode}; webhook secret in the backup in the clear: {found}")
proc.terminate(); proc.wait()
print(f"--- {binary} on {engine}")
print("\n".join(out))
