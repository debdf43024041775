// "Export CSV": the desk fetches the report (or the audit log) as CSV and saves it in the
// downloads folder; the window says where, and can show it in the file manager.
import { useState } from "preact/hooks";
import { api, type Export } from "./api";
import { errorLine } from "./errors";
import { t } from "./i18n";

export function ExportButton({ what, label }: { what: () => Export; label?: string }) {
  const [state, setState] = useState<{ busy: boolean; path: string | null; error: string | null }>({ busy: false, path: null, error: null });
  const run = () => {
    setState({ busy: true, path: null, error: null });
    api.exportCsv(what()).then(
      (path) => setState({ busy: false, path, error: null }),
      (e) => setState({ busy: false, path: null, error: errorLine(e) }),
    );
  };
  return (
    <span class="export">
      <button class="small" onClick={run} disabled={state.busy} data-testid="export-csv">{label ?? t("exportCsv")}</button>
      {state.path && (
        <span class="export-done" data-testid="export-path" title={state.path}>
          {t("savedTo")} {state.path.split(/[\\/]/).pop()} <button class="link" onClick={() => api.reveal(state.path!)}>{t("showInFolder")}</button>
        </span>
      )}
      {state.error && <span class="form-error inline">{state.error}</span>}
    </span>
  );
}
