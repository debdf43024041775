# What the outside probes share: a release server with the demo clinic on a loopback port
# (SQLite, or a fresh PostgreSQL database), a plain HTTP caller, logins, and bursts of raw
# requests with what they cost the server (CPU seconds, peak RSS).
import asyncio, json, os, socket, subprocess, sys, tempfile, time, urllib.request, urllib.error, uuid

PW = "careline-demo"


class Server:
    def __init__(self, binary, engine, extra_env=None):
        data = tempfile.mkdtemp() + "/data"
        env = dict(os.environ, CARELINE_DATA_DIR=data, CARELINE_LOG="warn", CARELINE_SECRET_KEY="cd" * 32, CARELINE_METRICS_TOKEN="scrape-token-1", **(extra_env or {}))
        if engine == "postgres":
            admin_url = os.environ["CARELINE_TEST_POSTGRES"]; name = "probe_" + uuid.uuid4().hex[:8]
            subprocess.run(["psql", "-q", admin_url, "-c", f"CREATE DATABASE {name}"], check=True)
            env["CARELINE_DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + name
        subprocess.run([binary, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        s = socket.socket(); s.bind(("127.0.0.1", 0)); self.port = s.getsockname()[1]; s.close()
        env["CARELINE_LISTEN"] = f"127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try: urllib.request.urlopen(self.base + "/healthz"); break
            except Exception: time.sleep(0.1)

    def call(self, method, path, body=None, token=None, ctype="application/json", raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None and ctype: req.add_header("content-type", ctype)
        if token: req.add_header("authorization", "Bearer " + token)
        for k, v in (headers or {}).items(): req.add_header(k, v)
        try:
            r = urllib.request.urlopen(req); t = r.read().decode(); return r.status, t
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def token(self, login, pw=PW):
        return j(self.call("POST", "/api/v1/auth/login", {"login": login, "password": pw})[1])["token"]

    def cpu(self):
        f = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split(); return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def rss(self):
        return int([l for l in open(f"/proc/{self.proc.pid}/status") if l.startswith("VmHWM")][0].split()[1]) // 1024

    def burst(self, n, make, held=None):
        """n raw requests at once, each (method, path, headers, body) from make(i); a request
        with an upgrade header is held open 3 s (its RSS recorded in `held`)."""
        async def one(i):
            method, path, headers, body = make(i)
            try:
                r, w = await asyncio.open_connection("127.0.0.1", self.port)
                close = "" if "upgrade" in headers else "Connection: close\r\n"
                head = f"{method} {path} HTTP/1.1\r\nHost: x\r\n{close}" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + f"Content-Length: {len(body)}\r\n\r\n"
                w.write(head.encode() + body); await w.drain()
                line = await asyncio.wait_for(r.readline(), 120)
                if "upgrade" in headers and held is not None:
                    await asyncio.sleep(3)
                    held.append(self.rss())
                w.close()
                return line.decode().split(" ")[1] if line else "closed"
            except Exception as e:
                return type(e).__name__
        async def all_of():
            t = time.time(); res = await asyncio.gather(*(one(i) for i in range(n))); return time.time() - t, res
        c0 = self.cpu(); dt, res = asyncio.run(all_of()); c1 = self.cpu()
        return f"{dt:5.2f} s, server CPU {c1 - c0:5.2f} s, peak RSS {self.rss()} MB, answers {({k: res.count(k) for k in sorted(set(res))})}"

    def stop(self):
        self.proc.terminate(); self.proc.wait()


def j(t):
    try: return json.loads(t)
    except Exception: return {}
