// A date (or date and time) field in the interface's order — 07.12.2026 in Russian, 2026-12-07 in
// Chinese, 7 Dec 2026 in English — typed or picked from flatpickr's calendar, never the
// platform's native input (WebKitGTK shows that in the system locale's order, whatever the
// window's language).
import { useEffect, useRef } from "preact/hooks";
import flatpickr from "flatpickr";
import { Russian } from "flatpickr/dist/l10n/ru";
import { Mandarin } from "flatpickr/dist/l10n/zh";
import "flatpickr/dist/flatpickr.css";
import { lang } from "./i18n";
import { dateShape } from "./format";

type Props = {
  /** `YYYY-MM-DD`, or `YYYY-MM-DDTHH:mm` with `time`, on the desk's clock; "" for none. */
  value: string;
  onChange: (value: string) => void;
  time?: boolean;
  min?: string;
  max?: string;
  testid?: string;
};

export function DateField({ value, onChange, time = false, min, max, testid }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const picker = useRef<flatpickr.Instance | null>(null);
  const latest = useRef(onChange);
  latest.current = onChange;
  const l = lang();
  useEffect(() => {
    const fp = flatpickr(input.current!, {
      dateFormat: time ? "Y-m-d\\TH:i" : "Y-m-d",
      altInput: true,
      altFormat: dateShape(l, time),
      allowInput: true,
      enableTime: time,
      time_24hr: true,
      minuteIncrement: 5,
      locale: l === "ru" ? Russian : l === "zh" ? Mandarin : "default",
      defaultDate: value || undefined,
      minDate: min || undefined,
      maxDate: max || undefined,
      onChange: (_dates, text) => latest.current(text),
    });
    picker.current = fp;
    // The field a person types in is flatpickr's visible copy: it carries the test id, the
    // hidden original keeps the machine value.
    if (testid) fp.altInput!.dataset.testid = testid;
    fp.altInput!.placeholder = dateShape(l, time).replace(/[dYjmMHi]/g, (c) => placeholderLetters[l][c] ?? c);
    return () => fp.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [l, time]);
  useEffect(() => {
    const fp = picker.current;
    if (fp && fp.input.value !== value) fp.setDate(value || [], false);
  }, [value]);
  useEffect(() => {
    picker.current?.set("minDate", min || undefined);
    picker.current?.set("maxDate", max || undefined);
  }, [min, max]);
  return <input ref={input} class="date-field" data-testid={testid ? `${testid}-value` : undefined} />;
}

const placeholderLetters: Record<string, Record<string, string>> = {
  ru: { d: "ДД", m: "ММ", Y: "ГГГГ", H: "чч", i: "мм" },
  zh: { d: "日", m: "月", Y: "年", H: "时", i: "分" },
  en: { j: "D", M: "Mon", Y: "YYYY", H: "hh", i: "mm" },
};
