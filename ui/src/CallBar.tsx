// A consultation's call, under the chat's header: Voice call / Video call for its operator; then
// ringing, in call with a timer, or ended with its duration. The call itself runs in the system
// browser (Debian's WebKitGTK, the desk's web view on Linux, has no WebRTC): Call opens its page
// there with a one-time link, "Open the call window" opens it again, and hanging up works from
// either side. The state comes from the call's events.
import { useEffect, useState } from "preact/hooks";
import { api, type Call, type CallMedia, type Consultation, type Me } from "./api";
import { errorLine } from "./errors";
import { t } from "./i18n";
import { useCell, useLoad, versions } from "./store";

const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.max(0, s) % 60).padStart(2, "0")}`;

/** Seconds since `iso`, ticking every second while `on`. */
function useSince(iso: string | null, on: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [on]);
  return iso ? Math.floor((now - Date.parse(iso)) / 1000) : 0;
}

export function CallBar({ c, me }: { c: Consultation; me: Me }) {
  const v = useCell(versions);
  const latest = useLoad(() => api.latestCall(c.id), [c.id, v.calls]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const call: Call | null = latest.data ?? null;
  const live = call !== null && call.state !== "ended";
  const since = useSince(call?.state === "active" ? call.answered_at : call?.rang_at ?? null, live);
  const mine = c.operator_id === me.id && (c.status === "active" || c.status === "scheduled");
  if (!mine && !live) return null;

  const run = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      versions.update((x) => ({ ...x, calls: x.calls + 1 }));
    } catch (e) {
      setError(errorLine(e));
    } finally {
      setBusy(false);
    }
  };
  const start = (media: CallMedia) => run(() => api.startCall(c.id, media));

  let state: string;
  if (call?.state === "ringing") state = `${t("callRinging")} ${clock(since)}`;
  else if (call?.state === "active") state = `${t("callInProgress")} ${clock(since)}`;
  else if (call) state = `${t("callLast")}: ${t(`callEnd_${call.end ?? "failed"}`)}${call.duration_seconds ? ` · ${clock(call.duration_seconds)}` : ""}`;
  else state = t("callInBrowser");
  return (
    <div class={`call-bar ${live ? "live" : ""}`} data-testid="call-bar" data-state={call?.state ?? "none"}>
      <span class="call-state" role="status" data-testid="call-state">{live && <span class="call-dot" aria-hidden="true" />}{state}</span>
      {error && <span class="form-error" role="alert">{error}</span>}
      <span class="call-actions">
        {live && call && (
          <>
            <button onClick={() => run(() => api.openCall(call.id))} disabled={busy} data-testid="call-open">{t("callOpenWindow")}</button>
            <button class="danger" onClick={() => run(() => api.hangUpCall(call.id))} disabled={busy} data-testid="call-hangup">{t("callHangUp")}</button>
          </>
        )}
        {!live && mine && (
          <>
            <button onClick={() => start("audio")} disabled={busy} data-testid="call-audio">{t("callVoice")}</button>
            <button class="primary" onClick={() => start("video")} disabled={busy} data-testid="call-video">{t("callVideo")}</button>
          </>
        )}
      </span>
    </div>
  );
}
