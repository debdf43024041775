// Line icons as inline SVG (no icon font, no emoji: both render everywhere the same).
const paths: Record<string, string> = {
  chat: "M4 5h16v11H8l-4 4z",
  phone: "M6 3h4l2 5-3 2a11 11 0 0 0 5 5l2-3 5 2v4a2 2 0 0 1-2 2A17 17 0 0 1 4 5a2 2 0 0 1 2-2z",
  card: "M3 5h18v14H3zM7 10a2 2 0 1 0 4 0 2 2 0 1 0-4 0M6 16c1-2 5-2 6 0M14 9h4M14 13h4",
  chart: "M4 20V10M10 20V4M16 20v-8M21 20H3",
  shield: "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6zM9 12l2 2 4-4",
  people: "M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM3 19c0-3 3-5 6-5s6 2 6 5M16 5a3 3 0 0 1 0 6M18 14c2 1 3 3 3 5",
  search: "M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM16 16l5 5",
  gear: "M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM12 2v3M12 19v3M2 12h3M19 12h3M5 5l2 2M17 17l2 2M5 19l2-2M17 7l2-2",
  calendar: "M4 6h16v14H4zM4 10h16M8 3v5M16 3v5",
  video: "M3 7h12v10H3zM15 10l6-3v10l-6-3",
  clock: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 7v5l3 2",
  warn: "M12 3l10 18H2zM12 10v5M12 18v.5",
  clip: "M16 7l-7 7a2 2 0 0 0 3 3l8-8a4 4 0 0 0-6-6l-8 8a6 6 0 0 0 8 8l6-6",
  send: "M3 11l18-8-8 18-2-8z",
  file: "M6 2h8l5 5v15H6zM14 2v5h5",
  play: "M8 5.5v13l10.5-6.5z",
  check: "M4 12l5 5L20 6",
  checks: "M2 12l5 5L18 6M9 16l1 1L21 6",
  x: "M6 6l12 12M18 6L6 18",
  down: "M12 4v15M6 13l6 6 6-6",
  rx: "M6 3h12v18H6zM9 8h6M9 12h6M9 16h3",
  coin: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM9 9.5c0-1.4 1.3-2 3-2s3 .8 3 2c0 3-6 1.5-6 4.5 0 1.3 1.4 2 3 2s3-.7 3-2M12 6v1.5M12 16.5V18",
};

export function Icon({ name, size = 18 }: { name: keyof typeof paths | string; size?: number }) {
  return (
    <svg class="ico" width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d={paths[name] ?? ""} />
    </svg>
  );
}
