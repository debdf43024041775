// Where the operator is: section, view, the item open on the right. Search results,
// profile links and keyboard shortcuts move it.
import type { CallbackView, ConsultationView } from "./api";
import { Cell, pref, setPref } from "./store";

export type Section = "consultations" | "callbacks" | "visits" | "clients" | "operators" | "prescriptions" | "refunds" | "reports" | "supervision";

export interface Nav {
  section: Section;
  view: ConsultationView;
  callbackView: CallbackView;
  consultation: string | null;
  callback: string | null;
  client: string | null;
  /** A message to show in the open chat (its seq): a search hit. */
  message: number | null;
  /** The words searched for, marked in that message. */
  find: string | null;
}

export const nav = new Cell<Nav>({
  section: "consultations",
  view: pref<ConsultationView>("view", "queue"),
  callbackView: "open",
  consultation: null,
  callback: null,
  client: null,
  message: null,
  find: null,
});

export function go(patch: Partial<Nav>) {
  // A message to show belongs to one move only.
  nav.update((n) => ({ ...n, message: null, find: null, ...patch }));
  if (patch.view) setPref("view", patch.view);
}
