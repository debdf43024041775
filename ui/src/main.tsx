import { render } from "preact";
import { App } from "./App";
import "./styles.css";

// Under a POSIX locale (LANG=C: minimal systems, Xvfb) WebKitGTK reports the language "C",
// which Intl refuses ("invalid language tag"), and libraries that format with
// navigator.language (the charts) would fail to load. The interface's own language is chosen
// separately (i18n.ts); this only gives Intl a tag it accepts.
try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
}

render(<App />, document.getElementById("app")!);
