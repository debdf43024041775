import { useEffect, useRef, useState } from "preact/hooks";
import type { ComponentChildren } from "preact";

/** A list of fixed-height rows that renders only what is visible (thousands scroll smoothly). */
export function VirtualList<T>({ items, rowHeight, render, keyOf, testid, onNearEnd }: {
  items: T[];
  /** Called when the rows shown come near the end of `items` (to load the next page). */
  onNearEnd?: () => void;
  rowHeight: number;
  render: (item: T, index: number) => ComponentChildren;
  keyOf: (item: T) => string;
  testid?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(800);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const overscan = 8;
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + overscan);
  useEffect(() => {
    if (onNearEnd && last >= items.length - overscan * 4) onNearEnd();
  }, [last, items.length]);
  return (
    <div class="vlist" ref={box} onScroll={(e) => setTop(e.currentTarget.scrollTop)} data-testid={testid}>
      <div style={{ height: `${items.length * rowHeight}px`, position: "relative" }}>
        {items.slice(first, last).map((item, i) => (
          <div key={keyOf(item)} class="vrow" style={{ top: `${(first + i) * rowHeight}px`, height: `${rowHeight}px` }}>
            {render(item, first + i)}
          </div>
        ))}
      </div>
    </div>
  );
}
