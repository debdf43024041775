import { useState } from "preact/hooks";
import { errorLine } from "./errors";
import { api, type Boot, type Me } from "./api";
import { t } from "./i18n";

export function Login({ boot, onLogin }: { boot: Boot; onLogin: (me: Me) => void }) {
  const [server, setServer] = useState(boot.server || "http://127.0.0.1:8080");
  const [login, setLogin] = useState(boot.login);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(boot.error ? errorLine(boot.error) : null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await api.login(server, login, password));
    } catch (err) {
      setError(errorLine(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login-page">
      <form class="login-card" onSubmit={submit} data-testid="login-form">
        <div class="brand">
          <img src="/icon.png" alt="" width={40} height={40} />
          <span>{t("appName")}</span>
        </div>
        <label>
          {t("server")}
          <input value={server} onInput={(e) => setServer(e.currentTarget.value)} name="server" autoComplete="url" />
        </label>
        <label>
          {t("loginName")}
          <input value={login} onInput={(e) => setLogin(e.currentTarget.value)} name="login" autoFocus autoComplete="username" />
        </label>
        <label>
          {t("password")}
          <input type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} name="password" autoComplete="current-password" />
        </label>
        {error && <div class="form-error" role="alert">{error}</div>}
        <button class="primary" type="submit" disabled={busy || !server || !login || !password}>
          {busy ? t("loggingIn") : t("login")}
        </button>
      </form>
    </div>
  );
}
