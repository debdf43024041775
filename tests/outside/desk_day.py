# Probes the endpoints the desk's day work touched, from outside, as every role and as nobody:
# a client's record with allergies and medication (PATCH /clients/{id}), the audit log with
# names, the reports with their default period, the role checked before the body. Ids of
# another kind of account and of another client, the largest body, a NUL, a wrong
# Content-Type; then 1,000 calls at once and what they cost the server.
#   python3 tests/outside/desk_day.py target/release/careline-server sqlite
#   CARELINE_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres \
#     python3 tests/outside/desk_day.py target/release/careline-server postgres
import json, sys
from harness import Server, j

srv = Server(sys.argv[1], sys.argv[2]); engine = sys.argv[2]
call = srv.call
admin, op = srv.token("admin"), srv.token("anna")
_, a = call("POST", "/api/v1/clients/register", {"name": "A", "phone": "+79850008001", "password": "client-pass-1"}); ca = j(a)["token"]; ca_id = j(a)["user"]["id"]
_, b = call("POST", "/api/v1/clients/register", {"name": "B", "phone": "+79850008002", "password": "client-pass-1"}); cb = j(b)["token"]; cb_id = j(b)["user"]["id"]
op_id = j(call("GET", "/api/v1/me", token=op)[1])["user"]["id"]
roles = {"nobody": None, "client A": ca, "client B": cb, "operator": op, "admin": admin}
rows = []
def row(what, results): rows.append(f"{what:64} " + "  ".join(f"{k}:{v}" for k, v in results.items()))
allergy = {"allergies": "Пенициллин", "medications": "Лозартан"}
big = json.dumps({"allergies": "x" * (1024 * 1024)}).encode()
nul = b'{"allergies":"a\\u0000b"}'

row("PATCH /clients/{A} allergies+medications", {r: call("PATCH", f"/api/v1/clients/{ca_id}", allergy, t)[0] for r, t in roles.items()})
row("PATCH /clients/{an operator's id} allergies", {r: call("PATCH", f"/api/v1/clients/{op_id}", allergy, t)[0] for r, t in roles.items()})
row("PATCH /clients/{A}: 2,001 chars / 1 MiB / NUL / text/plain", {
    "2001": call("PATCH", f"/api/v1/clients/{ca_id}", {"allergies": "я" * 2001}, ca)[0],
    "1MiB": call("PATCH", f"/api/v1/clients/{ca_id}", None, ca, raw=big)[0],
    "nul": call("PATCH", f"/api/v1/clients/{ca_id}", None, ca, raw=nul)[0],
    "ctype": call("PATCH", f"/api/v1/clients/{ca_id}", None, ca, "text/plain", raw=b'{"allergies":"x"}')[0],
    "bidi": call("PATCH", f"/api/v1/clients/{ca_id}", {"allergies": "nuts\u202e"}, ca)[0]})
after = j(call("GET", f"/api/v1/clients/{ca_id}", token=op)[1])
row("  ...A's record after the refusals", {"allergies": after.get("allergies"), "medications": after.get("medications")})
row("GET /audit (names joined)", {r: call("GET", "/api/v1/audit?limit=5", token=t)[0] for r, t in roles.items()})
aud = j(call("GET", f"/api/v1/audit?target_id={ca_id}", token=admin)[1])
row("  ...audit of A: fields, no values", {"items": len(aud.get("items", [])), "names": {i.get("actor_name") for i in aud.get("items", [])}, "words leaked": "Пенициллин" in json.dumps(aud, ensure_ascii=False)})
row("GET /audit?target_id=not-a-uuid / action of 101 chars / NUL", {"uuid": call("GET", "/api/v1/audit?target_id=nope", token=admin)[0], "long": call("GET", "/api/v1/audit?action=" + "a" * 101, token=admin)[0], "nul": call("GET", "/api/v1/audit?action=a%00b", token=admin)[0]})
row("GET /reports/consultations (no period)", {r: call("GET", "/api/v1/reports/consultations", token=t)[0] for r, t in roles.items()})
row("GET /reports/consultations?operator_id=self / another", {"own": call("GET", f"/api/v1/reports/consultations?operator_id={op_id}", token=op)[0], "client as op": call("GET", f"/api/v1/reports/consultations?operator_id={ca_id}", token=ca)[0]})
row("GET /reports/consultations bad: to only / from>to / 400 days / NUL", {
    "to only": call("GET", "/api/v1/reports/consultations?to=2026-12-01T00:00:00Z", token=admin)[0],
    "from>to": call("GET", "/api/v1/reports/consultations?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", token=admin)[0],
    "400d": call("GET", "/api/v1/reports/consultations?from=2025-01-01T00:00:00Z&to=2026-12-01T00:00:00Z", token=admin)[0],
    "nul": call("GET", "/api/v1/reports/consultations?group=d%00ay", token=admin)[0],
    "junk %": call("GET", "/api/v1/reports/consultations?from=%zz", token=admin)[0]})
row("Role before body: POST /operators broken JSON", {r: call("POST", "/api/v1/operators", None, t, raw=b"{broken")[0] for r, t in roles.items()})
row("Role before query: GET /reports/billing?group=weekly", {r: call("GET", "/api/v1/reports/billing?group=weekly", token=t)[0] for r, t in roles.items()})
consultation = j(call("GET", "/api/v1/consultations?limit=1", token=op)[1])["items"][0]
row("GET /consultations carries red_flag_words", {"field": "red_flag_words" in consultation})

J = {"content-type": "application/json"}
for what, make in [
    ("1,000 PATCH allergies at once (client A, own record)", lambda i: ("PATCH", f"/api/v1/clients/{ca_id}", {**J, "authorization": "Bearer " + ca}, json.dumps({"allergies": f"a{i}"}).encode())),
    ("1,000 audit pages at once (admin, names joined)", lambda i: ("GET", "/api/v1/audit?limit=100", {"authorization": "Bearer " + admin}, b"")),
    ("1,000 reports with the default week at once (admin)", lambda i: ("GET", "/api/v1/reports/consultations", {"authorization": "Bearer " + admin}, b"")),
    ("1,000 broken bodies to an admin endpoint (operator)", lambda i: ("POST", "/api/v1/operators", {**J, "authorization": "Bearer " + op}, b"{broken")),
]:
    rows.append(f"{what:64} {srv.burst(1000, make)}")
row("/healthz after the bursts", {"status": call("GET", "/healthz")[0]})
srv.stop()
print(f"--- {engine}")
print("\n".join(rows))
