import { api, type Entry, type Op } from "./api";
import { Dialog } from "./Dialog";
import { refusalLine } from "./errors";
import { t, type Key } from "./i18n";
import { useCell, useLoad, versions } from "./store";
import { Icon } from "./icons";

const opKey: Record<Op["op"], Key> = {
  send_message: "send",
  set_status: "status",
  take: "take",
  release: "release",
  close: "close",
  transfer: "transfer", assign: "assign",
  claim_callback: "claim",
  release_callback: "releaseCb",
  update: "edit",
  read: "read",
  cancel_callback: "cancelRequest",
  update_client: "editProfile",
  create_client: "newClient",
  create_callback: "newCallback",
  callback_attempt: "recordAttempt",
  create_prescription: "rxWrite",
  update_prescription: "rxRevise",
  submit_prescription: "rxSubmit",
};

/** What waits in the outbox and what the server refused, each refused one with Retry and
 * Dismiss (messages also show in their chat; this lists every kind of operation). */
export function OutboxDialog({ onClose }: { onClose: () => void }) {
  const v = useCell(versions);
  const entries = useLoad(() => api.outbox(), [v.outbox]);
  const list = entries.data ?? [];
  const again = async (f: () => Promise<void>) => {
    await f();
    entries.reload();
  };
  return (
    <Dialog title={t("outbox")} onClose={onClose}>
      {list.length === 0 && entries.data && <div class="empty">{t("outboxEmpty")}</div>}
      <ul class="outbox-list" data-testid="outbox-list">
        {list.map((e: Entry) => (
          <li class={e.state === "failed" ? "failed" : ""} data-testid="outbox-entry">
            <div class="outbox-op">
              <Icon name={e.state === "failed" ? "warn" : "clock"} size={14} /> {t(opKey[e.op.op])}
              {e.op.op === "send_message" && e.op.message.body && <span class="outbox-body"> — {e.op.message.body}</span>}
            </div>
            {e.state === "failed" && (
              <>
                <div class="outbox-why" data-testid="outbox-why">{refusalLine(e.error_code, e.error_message)}</div>
                <div class="outbox-actions">
                  <button onClick={() => again(() => api.retry(e.id))}>{t("retry")}</button>
                  <button onClick={() => again(() => api.dismiss(e.id))}>{t("dismiss")}</button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
      <div class="dialog-buttons">
        <button onClick={onClose} data-testid="outbox-close">{t("closeDialog")}</button>
      </div>
    </Dialog>
  );
}
