// The colour theme: light, dark, or the system's ("auto"), applied to the whole document (the
// stylesheet's variables switch on `data-theme`).

export function applyTheme(theme: string) {
  const dark = theme === "dark" || (theme === "auto" && window.matchMedia?.("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}
