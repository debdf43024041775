import { useState } from "preact/hooks";
import { api, type AgendaRow, type Client, type ConsultationKind, type Me, type Schedule, type Slot } from "./api";
import { Dialog } from "./Dialog";
import { DateField } from "./DateField";
import { localeOf, today } from "./format";
import { lang, t, type Key } from "./i18n";
import { Icon } from "./icons";
import { go } from "./nav";
import { phoneShown } from "./phone";
import { online, pref, setPref, useAction, useCell, useLoad, useNow, useSettled, versions } from "./store";

type Span = "today" | "week";
type Whose = "mine" | "everyone";

const DAY = 86_400_000;

/** Local midnight of the day `ymd` ("2026-12-07"), or of today. */
function midnight(ymd?: string): Date {
  const d = ymd ? new Date(`${ymd}T00:00:00`) : new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString(localeOf(lang()), { hour: "2-digit", minute: "2-digit" });
}

function dayTitle(iso: string): string {
  return new Date(iso).toLocaleDateString(localeOf(lang()), { weekday: "long", day: "numeric", month: "long" });
}

/** "через 12 мин", "in 3 h": how long until a visit starts, for the next ones. */
function until(iso: string, now: number): string | null {
  const ms = Date.parse(iso) - now;
  if (ms <= 0 || ms > 12 * 3600_000) return null;
  const f = new Intl.RelativeTimeFormat(localeOf(lang()), { numeric: "always" });
  return ms < 3600_000 ? f.format(Math.ceil(ms / 60_000), "minute") : f.format(Math.round(ms / 3600_000), "hour");
}

const kindIcon = (k: ConsultationKind) => (k === "video" ? "video" : "phone");

export function Visits({ me }: { me: Me }) {
  const v = useCell(versions);
  const isOnline = useCell(online);
  const [span, setSpan] = useState<Span>(pref<Span>("visitSpan", "today"));
  const [whose, setWhose] = useState<Whose>(pref<Whose>("visitWhose", "everyone"));
  const [open, setOpen] = useState<string | null>(null);
  const [booking, setBooking] = useState(false);
  const [hours, setHours] = useState(false);
  const now = useNow(30_000);
  const from = midnight();
  const to = new Date(from.getTime() + (span === "today" ? DAY : 7 * DAY));
  const agenda = useLoad(
    () => api.agenda(from.toISOString(), to.toISOString(), whose === "mine" ? me.id : null),
    [span, whose, v.visits, v.everything, isOnline, from.getTime()],
  );
  const rows = agenda.data ?? [];
  const days = new Map<string, AgendaRow[]>();
  for (const r of rows) {
    const k = new Date(r.appointment.starts_at).toDateString();
    days.set(k, [...(days.get(k) ?? []), r]);
  }
  const pick = <T,>(set: (x: T) => void, key: string) => (x: T) => {
    set(x);
    setPref(key, x);
  };
  const selected = rows.find((r) => r.appointment.id === open) ?? null;
  return (
    <div class="split">
      <section class="list-pane">
        <div class="tabs" role="tablist">
          <button class={span === "today" ? "current" : ""} onClick={() => pick(setSpan, "visitSpan")("today")} data-testid="visits-today">{t("today")}</button>
          <button class={span === "week" ? "current" : ""} onClick={() => pick(setSpan, "visitSpan")("week")} data-testid="visits-week">{t("week")}</button>
          <span class="tabs-gap" />
          <button class={whose === "mine" ? "current" : ""} onClick={() => pick(setWhose, "visitWhose")("mine")} data-testid="visits-mine">{t("mine")}</button>
          <button class={whose === "everyone" ? "current" : ""} onClick={() => pick(setWhose, "visitWhose")("everyone")} data-testid="visits-everyone">{t("everyone")}</button>
        </div>
        <div class="filter-bar">
          <button onClick={() => setHours(true)} data-testid="my-hours" title={t("myHours")}><Icon name="clock" size={15} /> {t("myHours")}</button>
          <button class="primary" onClick={() => setBooking(true)} disabled={!isOnline} data-testid="book-visit" title={isOnline ? t("bookVisit") : t("needsServer")}>+ {t("bookVisit")}</button>
        </div>
        {booking && <BookDialog onClose={() => setBooking(false)} onBooked={(a) => setOpen(a.appointment.id)} />}
        {hours && <HoursDialog me={me} onClose={() => setHours(false)} />}
        {agenda.error && <div class="form-error">{agenda.error}</div>}
        {rows.length === 0 && agenda.data ? (
          <div class="empty" data-testid="agenda-empty">{t(span === "today" ? "noVisitsToday" : "noVisitsWeek")}</div>
        ) : (
          <div class="agenda" data-testid="agenda">
            {[...days.entries()].map(([day, list]) => (
              <div class="agenda-day" key={day}>
                <div class="agenda-day-title">{dayTitle(list[0].appointment.starts_at)}</div>
                {list.map((r) => (
                  <AgendaLine key={r.appointment.id} r={r} now={now} everyone={whose === "everyone"} selected={open === r.appointment.id} onOpen={() => setOpen(r.appointment.id)} />
                ))}
              </div>
            ))}
          </div>
        )}
      </section>
      <section class="detail-pane">
        {selected ? <VisitDetail r={selected} me={me} /> : <div class="empty big">{t("selectVisit")}</div>}
      </section>
    </div>
  );
}

function AgendaLine({ r, now, everyone, selected, onOpen }: { r: AgendaRow; now: number; everyone: boolean; selected: boolean; onOpen: () => void }) {
  const a = r.appointment;
  const soon = a.status === "booked" || a.status === "waiting" ? until(a.starts_at, now) : null;
  return (
    <div class={`row agenda-row ${selected ? "selected" : ""} visit-${a.status}`} role="button" tabIndex={0} onClick={onOpen}
      onKeyDown={(e) => e.key === "Enter" && onOpen()} data-testid="agenda-row" data-id={a.id}>
      <div class="row-top">
        <span class="agenda-time"><Icon name={kindIcon(a.kind)} size={14} /> {clock(a.starts_at)}–{clock(a.ends_at)}</span>
        <span class={`status visit-status-${a.status}`} data-testid="visit-status">{t(`visit_${a.status}` as Key)}</span>
      </div>
      <div class="row-bottom">
        <span class="name">{r.client_name ?? "—"}</span>
        {everyone && r.specialist_name && <span class="tag">{r.specialist_name}</span>}
        {soon && <span class="count">{soon}</span>}
      </div>
    </div>
  );
}

function VisitDetail({ r, me }: { r: AgendaRow; me: Me }) {
  const a = r.appointment;
  const [moving, setMoving] = useState(false);
  const [ending, setEnding] = useState<"cancel" | "decline" | null>(null);
  const live = a.status === "booked" || a.status === "waiting";
  const mine = a.operator_id === me.id || me.role === "admin";
  return (
    <div class="visit-detail" data-testid="visit-detail">
      <h2>{r.client_name ?? "—"}</h2>
      <div class="facts">
        <div><span class="muted">{t("when")}</span> {dayTitle(a.starts_at)}, {clock(a.starts_at)}–{clock(a.ends_at)}</div>
        <div><span class="muted">{t("kind")}</span> <Icon name={kindIcon(a.kind)} size={14} /> {t(a.kind as Key)}</div>
        <div><span class="muted">{t("specialist")}</span> {r.specialist_name ?? "—"}</div>
        {r.client_phone && <div><span class="muted">{t("phoneNumber")}</span> {phoneShown(r.client_phone, lang())}</div>}
        <div><span class="muted">{t("visitStatus")}</span> <span class={`status visit-status-${a.status}`}>{t(`visit_${a.status}` as Key)}</span>{a.status_reason ? ` · ${a.status_reason}` : ""}</div>
        {a.reason && <div class="wide"><span class="muted">{t("reason")}</span> {a.reason}</div>}
      </div>
      <div class="detail-actions">
        <button onClick={() => go({ section: "consultations", view: ["booked", "waiting", "in_call"].includes(a.status) ? "mine" : "archive", consultation: a.consultation_id })} data-testid="visit-open-chat">
          <Icon name="chat" size={15} /> {t("openChat")}
        </button>
        {live && a.status === "booked" && <button onClick={() => setMoving(true)} data-testid="visit-move">{t("moveVisit")}</button>}
        {live && <button onClick={() => setEnding("cancel")} data-testid="visit-cancel">{t("cancelVisit")}</button>}
        {live && mine && <button class="danger" onClick={() => setEnding("decline")} data-testid="visit-decline">{t("declineVisit")}</button>}
      </div>
      {moving && <MoveDialog r={r} onClose={() => setMoving(false)} />}
      {ending && <EndDialog r={r} how={ending} onClose={() => setEnding(null)} />}
    </div>
  );
}

function bump() {
  versions.update((v) => ({ ...v, visits: v.visits + 1 }));
}

/** Free slots of a day, as buttons; `chosen` is the picked start. */
function SlotPicker({ kind, day, operator, specialty, chosen, onChoose }: {
  kind: ConsultationKind; day: string; operator: string | null; specialty: string | null; chosen: Slot | null; onChoose: (s: Slot) => void;
}) {
  const from = midnight(day);
  const slots = useLoad(
    () => (day ? api.freeSlots(kind, specialty, operator, from.toISOString(), new Date(from.getTime() + DAY).toISOString()) : Promise.resolve([])),
    [kind, day, operator, specialty],
  );
  const list = slots.data ?? [];
  if (slots.error) return <div class="form-error">{slots.error}</div>;
  if (slots.data && list.length === 0) return <div class="field-hint" data-testid="no-slots">{t("noFreeSlots")}</div>;
  return (
    <div class="slots" data-testid="slots">
      {list.map((s) => (
        <button key={`${s.operator_id}${s.starts_at}`} class={chosen && chosen.starts_at === s.starts_at && chosen.operator_id === s.operator_id ? "primary" : ""}
          onClick={() => onChoose(s)} data-testid="slot">{clock(s.starts_at)}</button>
      ))}
    </div>
  );
}

function BookDialog({ onClose, onBooked }: { onClose: () => void; onBooked: (r: AgendaRow) => void }) {
  const [query, setQuery] = useState("");
  const [client, setClient] = useState<Client | null>(null);
  const [kind, setKind] = useState<ConsultationKind>("video");
  const [specialty, setSpecialty] = useState("");
  const [operator, setOperator] = useState("");
  const [day, setDay] = useState(today());
  const [slot, setSlot] = useState<Slot | null>(null);
  const [reason, setReason] = useState("");
  const { busy, error, run } = useAction();
  const v = useCell(versions);
  const asked = useSettled(query.trim());
  // Asked again when the cache's clients change: a desk that has just started may still be
  // filling it.
  const found = useLoad(() => (asked ? api.clients(asked) : Promise.resolve([] as Client[])), [asked, v.clients, v.everything]);
  const specialists = useLoad(() => api.specialists(), []);
  const all = specialists.data ?? [];
  const specialties = [...new Set(all.flatMap((s) => s.specialties))].sort();
  const shownSpecialists = all.filter((s) => !specialty || s.specialties.includes(specialty));
  const nameOf = (id: string) => all.find((s) => s.operator_id === id)?.name ?? "";
  const book = () =>
    run(async () => {
      if (!client || !slot) return;
      const r = await api.bookVisit({ operator_id: slot.operator_id, kind, starts_at: slot.starts_at, client_id: client.id, reason: reason.trim() || null });
      bump();
      onBooked(r);
      onClose();
    });
  return (
    <Dialog title={t("bookVisit")} onClose={onClose}>
      <div class="form-grid">
        {client ? (
          <div class="wide chosen-client" data-testid="book-client">
            <strong>{client.name}</strong> · {phoneShown(client.phone, lang())} <button class="link" onClick={() => setClient(null)}>{t("change")}</button>
          </div>
        ) : (
          <label class="wide">{t("patient")}
            <input type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} placeholder={t("searchClients")} data-testid="book-search" autoFocus />
            {found.error && <span class="form-error">{found.error}</span>}
            {(found.data ?? []).slice(0, 6).map((c) => (
              <button key={c.id} class="pick" onClick={() => setClient(c)} data-testid="book-pick">{c.name} · {phoneShown(c.phone, lang())}</button>
            ))}
          </label>
        )}
        <label>{t("kind")}
          <select value={kind} onChange={(e) => { setKind(e.currentTarget.value as ConsultationKind); setSlot(null); }} data-testid="book-kind">
            <option value="video">{t("video")}</option>
            <option value="phone">{t("phone")}</option>
          </select>
        </label>
        <label>{t("specialty")}
          <select value={specialty} onChange={(e) => { setSpecialty(e.currentTarget.value); setOperator(""); setSlot(null); }} data-testid="book-specialty">
            <option value="">{t("anySpecialty")}</option>
            {specialties.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>{t("specialist")}
          <select value={operator} onChange={(e) => { setOperator(e.currentTarget.value); setSlot(null); }} data-testid="book-specialist">
            <option value="">{t("firstFree")}</option>
            {shownSpecialists.map((s) => <option key={s.operator_id} value={s.operator_id}>{s.name}</option>)}
          </select>
        </label>
        <label>{t("day")}<DateField value={day} onChange={(d) => { setDay(d); setSlot(null); }} min={today()} testid="book-day" /></label>
        <div class="wide">
          <SlotPicker kind={kind} day={day} operator={operator || null} specialty={specialty || null} chosen={slot} onChoose={setSlot} />
          {slot && <div class="field-hint" data-testid="book-chosen">{clock(slot.starts_at)} · {nameOf(slot.operator_id)}</div>}
        </div>
        <label class="wide">{t("reason")}<textarea rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} data-testid="book-reason" /></label>
      </div>
      {error && <div class="form-error" data-testid="book-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" disabled={busy || !client || !slot} onClick={book} data-testid="book-save">{t("book")}</button>
      </div>
    </Dialog>
  );
}

function MoveDialog({ r, onClose }: { r: AgendaRow; onClose: () => void }) {
  const a = r.appointment;
  const [day, setDay] = useState(today());
  const [slot, setSlot] = useState<Slot | null>(null);
  const { busy, error, run } = useAction();
  const move = () =>
    run(async () => {
      if (!slot) return;
      await api.rescheduleVisit(a.id, slot.starts_at);
      bump();
      onClose();
    });
  return (
    <Dialog title={`${t("moveVisit")}: ${r.client_name ?? ""}`} onClose={onClose}>
      <div class="form-grid">
        <label class="wide">{t("day")}<DateField value={day} onChange={(d) => { setDay(d); setSlot(null); }} min={today()} testid="move-day" /></label>
        <div class="wide"><SlotPicker kind={a.kind} day={day} operator={a.operator_id} specialty={null} chosen={slot} onChoose={setSlot} /></div>
      </div>
      {error && <div class="form-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" disabled={busy || !slot} onClick={move} data-testid="move-save">{t("moveVisit")}</button>
      </div>
    </Dialog>
  );
}

function EndDialog({ r, how, onClose }: { r: AgendaRow; how: "cancel" | "decline"; onClose: () => void }) {
  const [reason, setReason] = useState("");
  const { busy, error, run } = useAction();
  const end = () =>
    run(async () => {
      if (how === "decline") await api.declineVisit(r.appointment.id, reason.trim());
      else await api.cancelVisit(r.appointment.id, reason.trim() || null);
      bump();
      onClose();
    });
  return (
    <Dialog title={`${t(how === "decline" ? "declineVisit" : "cancelVisit")}: ${r.client_name ?? ""}`} onClose={onClose}>
      {how === "decline" && <p class="field-hint">{t("declineHint")}</p>}
      <label class="wide">{t("reason")}<textarea rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} data-testid="end-reason" autoFocus /></label>
      {error && <div class="form-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("back")}</button>
        <button class={how === "decline" ? "danger" : "primary"} disabled={busy || (how === "decline" && !reason.trim())} onClick={end} data-testid="end-save">
          {t(how === "decline" ? "declineVisit" : "cancelVisit")}
        </button>
      </div>
    </Dialog>
  );
}

const weekdays = [1, 2, 3, 4, 5, 6, 7];

function weekdayName(d: number): string {
  // 2024-01-01 was a Monday.
  return new Date(2024, 0, d).toLocaleDateString(localeOf(lang()), { weekday: "short" });
}

/** My working hours: one range a weekday, visit lengths, what I consult in. */
function HoursDialog({ me, onClose }: { me: Me; onClose: () => void }) {
  const current = useLoad(() => api.schedule(me.id), [me.id]);
  return current.data ? <HoursForm me={me} s={current.data} onClose={onClose} /> : (
    <Dialog title={t("myHours")} onClose={onClose}><div class="empty">{current.error ?? t("loading")}</div></Dialog>
  );
}

function HoursForm({ me, s, onClose }: { me: Me; s: Schedule; onClose: () => void }) {
  const zone = s.updated_at ? s.time_zone : Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const [tz, setTz] = useState(zone);
  const [days, setDays] = useState(() =>
    weekdays.map((d) => {
      const h = s.weekly.find((w) => w.weekday === d);
      return { on: !!h, from: h?.from ?? "09:00", to: h?.to ?? "18:00" };
    }),
  );
  const [video, setVideo] = useState(String(s.visit_minutes.video));
  const [phone, setPhone] = useState(String(s.visit_minutes.phone));
  const [specialties, setSpecialties] = useState(s.specialties.join(", "));
  const [languages, setLanguages] = useState(s.languages.join(", "));
  const [bookable, setBookable] = useState(s.updated_at ? s.bookable : true);
  const { busy, error, run } = useAction();
  const words = (text: string) => text.split(/[,，;]/).map((w) => w.trim()).filter(Boolean);
  const save = () =>
    run(async () => {
      await api.setSchedule(me.id, {
        time_zone: tz.trim(),
        specialties: words(specialties),
        languages: words(languages),
        weekly: days.flatMap((d, i) => (d.on ? [{ weekday: i + 1, from: d.from, to: d.to }] : [])),
        exceptions: s.exceptions,
        visit_minutes: { video: Number(video), phone: Number(phone) },
        bookable,
      });
      bump();
      onClose();
    });
  return (
    <Dialog title={t("myHours")} onClose={onClose}>
      <div class="form-grid">
        <label class="wide">{t("timeZone")}<input value={tz} onInput={(e) => setTz(e.currentTarget.value)} data-testid="hours-tz" /></label>
        <div class="wide week-hours">
          {days.map((d, i) => (
            <div class="week-day" key={i}>
              <label class="check"><input type="checkbox" checked={d.on} onChange={(e) => setDays(days.map((x, j) => (j === i ? { ...x, on: e.currentTarget.checked } : x)))} data-testid={`hours-on-${i + 1}`} /> {weekdayName(i + 1)}</label>
              <input type="time" value={d.from} disabled={!d.on} onInput={(e) => setDays(days.map((x, j) => (j === i ? { ...x, from: e.currentTarget.value } : x)))} />
              <span>–</span>
              <input type="time" value={d.to} disabled={!d.on} onInput={(e) => setDays(days.map((x, j) => (j === i ? { ...x, to: e.currentTarget.value } : x)))} />
            </div>
          ))}
        </div>
        <label>{t("videoMinutes")}<input type="number" min={5} max={240} value={video} onInput={(e) => setVideo(e.currentTarget.value)} /></label>
        <label>{t("phoneMinutes")}<input type="number" min={5} max={240} value={phone} onInput={(e) => setPhone(e.currentTarget.value)} /></label>
        <label class="wide">{t("specialties")}<input value={specialties} onInput={(e) => setSpecialties(e.currentTarget.value)} data-testid="hours-specialties" /></label>
        <label class="wide">{t("consultLanguages")}<input value={languages} onInput={(e) => setLanguages(e.currentTarget.value)} /></label>
        <label class="check wide"><input type="checkbox" checked={bookable} onChange={(e) => setBookable(e.currentTarget.checked)} /> {t("patientsMayBook")}</label>
      </div>
      {error && <div class="form-error" data-testid="hours-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" disabled={busy} onClick={save} data-testid="hours-save">{t("save")}</button>
      </div>
    </Dialog>
  );
}
