// The one module through which the UI talks to Rust: the commands of src-tauri/commands.rs
// (their typed wrappers are generated into gen/commands.ts, the types into gen/types.ts), and
// the channel the desk's events arrive on.
import { Channel } from "@tauri-apps/api/core";
import { commands } from "./gen/commands";
import type { DeskEvent } from "./gen/types";

export type * from "./gen/types";

export { errorOf } from "./errors";

/** Every command of the desk: generated from src-tauri/commands.rs (gen/commands.ts). */
export const api = commands;

/** Starts receiving the desk's events. */
export function subscribe(onEvent: (e: DeskEvent) => void): Promise<void> {
  const events = new Channel<DeskEvent>();
  events.onmessage = onEvent;
  return commands.subscribe(events);
}

/** A fresh idempotency key for a message. */
export function newId(): string {
  return crypto.randomUUID();
}

/** Files dropped on the window (their paths); returns the unsubscribe function. */
export async function onFileDrop(handler: (paths: string[]) => void): Promise<() => void> {
  const { getCurrentWebview } = await import("@tauri-apps/api/webview");
  return getCurrentWebview().onDragDropEvent((e) => {
    if (e.payload.type === "drop") handler(e.payload.paths);
  });
}
