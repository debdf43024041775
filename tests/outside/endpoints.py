# Probes the endpoints the outside security review touched, from outside: as every role and as nobody, with ids of
# another kind of account and of another client, the largest body, a NUL, a wrong
# Content-Type; then 1,000 calls at once and what they cost the server (CPU, peak RSS).
#   python3 tests/outside/endpoints.py target/release/careline-server sqlite
#   CARELINE_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres \
#     python3 tests/outside/endpoints.py target/release/careline-server postgres
import json, socket, sys
from harness import Server, j

binary, engine = sys.argv[1], sys.argv[2]
srv = Server(binary, engine)
call, port = srv.call, srv.port
tok = srv.token
admin, op = tok("admin"), tok("anna")
_, a = call("POST", "/api/v1/clients/register", {"name": "A", "phone": "+79850007001", "password": "client-pass-1"}); ca = j(a)["token"]; ca_id = j(a)["user"]["id"]
_, b = call("POST", "/api/v1/clients/register", {"name": "B", "phone": "+79850007002", "password": "client-pass-1"}); cb = j(b)["token"]; cb_id = j(b)["user"]["id"]
op_id = j(call("GET", "/api/v1/me", token=op)[1])["user"]["id"]
rec = j(call("POST", "/api/v1/clients", {"name": "Reception record", "phone": "+79850007003"}, op)[1])["id"]
roles = {"nobody": None, "client A": ca, "client B": cb, "operator": op, "admin": admin}
big = b'{"name":"' + b"x" * (1024 * 1024) + b'"}'
nul = b'{"name":"a\\u0000b","phone":"+79850007009","password":"client-pass-1"}'
rows = []
def row(what, results): rows.append(f"{what:62} " + "  ".join(f"{k}:{v}" for k, v in results.items()))

row("POST /clients/{reception record}/claim-code", {r: call("POST", f"/api/v1/clients/{rec}/claim-code", {}, t)[0] for r, t in roles.items()})
row("POST /clients/{client A (has an account)}/claim-code", {r: call("POST", f"/api/v1/clients/{ca_id}/claim-code", {}, t)[0] for r, t in roles.items()})
row("POST /clients/{an operator's id}/claim-code", {r: call("POST", f"/api/v1/clients/{op_id}/claim-code", {}, t)[0] for r, t in roles.items()})
row("POST /clients/{not a uuid}/claim-code", {r: call("POST", "/api/v1/clients/nope/claim-code", {}, t)[0] for r, t in [("operator", op)]})
row("POST /clients/{rec}/claim-code, 1 MiB body, text/plain", {"operator": call("POST", f"/api/v1/clients/{rec}/claim-code", None, op, "text/plain", raw=big)[0]})
row("POST /clients/register: largest body / NUL / text/plain", {"big": call("POST", "/api/v1/clients/register", raw=big)[0], "nul": call("POST", "/api/v1/clients/register", raw=nul)[0], "ctype": call("POST", "/api/v1/clients/register", raw=nul.replace(b"\\u0000", b""), ctype="text/plain")[0], "none": call("POST", "/api/v1/clients/register", raw=nul.replace(b"\\u0000", b""), ctype=None)[0]})
row("POST /clients/register: claim_code of 100 KB / with a NUL", {"long": call("POST", "/api/v1/clients/register", {"name": "x", "phone": "+79850007003", "password": "client-pass-1", "claim_code": "A" * 100000})[0], "nul": call("POST", "/api/v1/clients/register", {"name": "x", "phone": "+79850007003", "password": "client-pass-1", "claim_code": "AB\u0000CD"})[0]})
row("POST /auth/login: largest body / NUL / text/plain", {"big": call("POST", "/api/v1/auth/login", raw=big)[0], "nul": call("POST", "/api/v1/auth/login", raw=b'{"login":"anna\\u0000","password":"x"}')[0], "ctype": call("POST", "/api/v1/auth/login", raw=b'{"login":"anna","password":"x"}', ctype="text/plain")[0]})
row("POST /clients with id = an operator's / client B's", {"operator": call("POST", "/api/v1/clients", {"id": op_id, "name": "x", "phone": "+79850007011"}, op)[0], "client B": call("POST", "/api/v1/clients", {"id": cb_id, "name": "x", "phone": "+79850007012"}, op)[0]})
row("POST /callbacks (own phone / B's phone / client_id B)", {"own": call("POST", "/api/v1/callbacks", {"phone": "+79850007001"}, ca)[0], "B's phone": call("POST", "/api/v1/callbacks", {"phone": "+79850007002"}, ca)[0], "client_id B": call("POST", "/api/v1/callbacks", {"phone": "+79850007001", "client_id": cb_id}, ca)[0], "staff, client_id=operator": call("POST", "/api/v1/callbacks", {"phone": "+79850007001", "client_id": op_id}, op)[0]})
row("GET /metrics", {**{r: call("GET", "/metrics", token=t)[0] for r, t in roles.items()}, "scrape token": call("GET", "/metrics", token="scrape-token-1")[0]})
def ws_status(path, auth=None):
    s = socket.create_connection(("127.0.0.1", port)); h = f"Authorization: Bearer {auth}\r\n" if auth else ""
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{h}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode())
    st = s.recv(100).decode().split(" ")[1]; s.close(); return st
row("GET /ws upgrade: header per role / ?token= / bare GET", {**{r: ws_status("/api/v1/ws", t) for r, t in roles.items()}, "?token": ws_status(f"/api/v1/ws?token={ca}"), "bare GET": call("GET", "/api/v1/ws")[0]})
row("POST /auth/logout per role (then /me)", {r: f"{call('POST', '/api/v1/auth/logout', None, t)[0]}/{call('GET', '/api/v1/me', token=t)[0]}" for r, t in [("nobody", None), ("client B", cb)]})

held = []
J = {"content-type": "application/json"}
bursts = [
    ("1,000 claim codes at once (operator)", lambda i: ("POST", f"/api/v1/clients/{rec}/claim-code", {**J, "authorization": "Bearer " + op}, b"{}")),
    ("1,000 registrations at once (one address)", lambda i: ("POST", "/api/v1/clients/register", J, json.dumps({"name": "n", "phone": f"+7986{i:07d}", "password": "client-pass-1"}).encode())),
    ("1,000 bogus logins at once (one address)", lambda i: ("POST", "/api/v1/auth/login", J, json.dumps({"login": f"bot{i}", "password": "nothing-1"}).encode())),
    ("1,000 /metrics at once (admin)", lambda i: ("GET", "/metrics", {"authorization": "Bearer " + admin}, b"")),
    ("1,000 WebSocket opens at once, no header (first frame never sent)", lambda i: ("GET", "/api/v1/ws", {"connection": "Upgrade", "upgrade": "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=="}, b"")),
]
for what, make in bursts:
    cost = srv.burst(1000, make, held)
    rows.append(f"{what:62} {cost}" + (f", RSS while held {max(held)} MB" if held else ""))
row("/healthz after the bursts", {"status": call("GET", "/healthz")[0]})
srv.stop()
print(f"--- {engine}")
print("\n".join(rows))
