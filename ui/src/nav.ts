// Where the operator is: section, view, the item open on the right. Search results,
// profile links and keyboard shortcuts move it.
import type { CallbackView, ConsultationView } from "./api";
import { Cell, pref, setPref } from "./store";

export type Section = "consultations" | "callbacks" | "clients" | "operators";

export interface Nav {
  section: Section;
  view: ConsultationView;
  callbackView: CallbackView;
  consultation: string | null;
  callback: string | null;
  client: string | null;
}

export const nav = new Cell<Nav>({
  section: "consultations",
  view: pref<ConsultationView>("view", "queue"),
  callbackView: "open",
  consultation: null,
  callback: null,
  client: null,
});

export function go(patch: Partial<Nav>) {
  nav.update((n) => ({ ...n, ...patch }));
  if (patch.view) setPref("view", patch.view);
}
