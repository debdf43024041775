// Careline's calls in the browser: WebRTC between the patient's page and the operator's call
// page, signalled over each page's WebSocket (call.offer / call.answer / call.ice /
// call.hangup, relayed by the server to the other party only). The operator's side always
// offers; the patient's side answers. A lost network path is mended by an ICE restart, never by
// a new call. Also the camera and microphone check of the waiting room, and the operator's call
// page itself (call.html: a one-time link from the desk, for desks whose web view has no WebRTC).

const WORDS = {
  en: {
    incoming: "{name} is calling you", incomingVideo: "Video call", incomingAudio: "Voice call", accept: "Answer", decline: "Decline",
    calling: "Calling…", connecting: "Connecting…", reconnecting: "The connection dropped: reconnecting…", ended: "Call ended",
    mute: "Mute", unmute: "Unmute", cameraOff: "Camera off", cameraOn: "Camera on", devices: "Devices", hangup: "Hang up",
    camera: "Camera", microphone: "Microphone", audioOnly: "The camera could not start: this call is voice only.",
    noMedia: "The browser did not allow the microphone: allow it and try again.", level: "Microphone level", check: "Check your camera and microphone",
    checkHint: "You should see yourself and the bar should move when you speak.", sound: "Turn the sound on", relay: "via the clinic's relay",
    closeWindow: "You can close this window.", linkUsed: "This call link was already used or has expired. Start the call again from the desk.",
    duration: "Duration {d}", declined: "The patient declined the call.", noAnswer: "No answer.", failed: "The call could not connect.", doctor: "The doctor",
  },
  ru: {
    incoming: "{name} звонит вам", incomingVideo: "Видеозвонок", incomingAudio: "Голосовой звонок", accept: "Ответить", decline: "Отклонить",
    calling: "Звоним…", connecting: "Соединение…", reconnecting: "Связь прервалась: восстанавливаем…", ended: "Звонок завершён",
    mute: "Выключить микрофон", unmute: "Включить микрофон", cameraOff: "Выключить камеру", cameraOn: "Включить камеру", devices: "Устройства", hangup: "Завершить",
    camera: "Камера", microphone: "Микрофон", audioOnly: "Камера не включилась: звонок только голосом.",
    noMedia: "Браузер не дал доступ к микрофону: разрешите его и попробуйте снова.", level: "Уровень микрофона", check: "Проверьте камеру и микрофон",
    checkHint: "Вы должны видеть себя, а полоска — двигаться, когда вы говорите.", sound: "Включить звук", relay: "через сервер клиники",
    closeWindow: "Это окно можно закрыть.", linkUsed: "Эта ссылка на звонок уже использована или устарела. Начните звонок снова из приложения.",
    duration: "Длительность {d}", declined: "Пациент отклонил звонок.", noAnswer: "Нет ответа.", failed: "Звонок не удалось соединить.", doctor: "Врач",
  },
  zh: {
    incoming: "{name}正在呼叫您", incomingVideo: "视频通话", incomingAudio: "语音通话", accept: "接听", decline: "拒绝",
    calling: "正在呼叫…", connecting: "正在连接…", reconnecting: "连接中断，正在恢复…", ended: "通话已结束",
    mute: "静音", unmute: "取消静音", cameraOff: "关闭摄像头", cameraOn: "打开摄像头", devices: "设备", hangup: "挂断",
    camera: "摄像头", microphone: "麦克风", audioOnly: "摄像头无法启动：本次仅语音通话。",
    noMedia: "浏览器未允许使用麦克风：请允许后重试。", level: "麦克风音量", check: "检查摄像头和麦克风",
    checkHint: "您应能看到自己，说话时音量条会跳动。", sound: "打开声音", relay: "经诊所中继",
    closeWindow: "可以关闭此窗口。", linkUsed: "此通话链接已使用或已过期，请在工作台重新发起通话。",
    duration: "时长 {d}", declined: "患者拒绝了通话。", noAnswer: "无人接听。", failed: "通话未能接通。", doctor: "医生",
  },
};

const LANG = (() => {
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const s = l.toLowerCase().slice(0, 2);
    if (s in WORDS) return s;
  }
  return "en";
})();
export const t = (key, vars = {}) => (WORDS[LANG][key] || WORDS.en[key] || key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));

function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag);
  if (classes.length) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;

/** The camera and microphone, video when asked and possible: `{ stream, audioOnly }`. */
async function localMedia(video, ids = {}) {
  const audio = ids.audio ? { deviceId: { exact: ids.audio } } : true;
  if (video) {
    try {
      const v = ids.video ? { deviceId: { exact: ids.video } } : { width: { ideal: 1280 }, height: { ideal: 720 } };
      return { stream: await navigator.mediaDevices.getUserMedia({ audio, video: v }), audioOnly: false };
    } catch {
      // No camera, or it was refused: the call goes on by voice.
    }
  }
  return { stream: await navigator.mediaDevices.getUserMedia({ audio }), audioOnly: video };
}

/** A level meter of a stream's microphone: an element, and stop(). */
function levelMeter(stream) {
  const bar = h("span.level-bar");
  const meter = h("span.level", { role: "meter", "aria-label": t("level"), "aria-valuemin": 0, "aria-valuemax": 100, "data-testid": "level" }, bar);
  let ctx = null;
  let timer = null;
  try {
    ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    timer = setInterval(() => {
      analyser.getByteTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
      const level = Math.min(100, Math.round((peak / 128) * 160));
      bar.style.width = `${level}%`;
      meter.setAttribute("aria-valuenow", level);
    }, 100);
  } catch {
    // No Web Audio: the meter stays empty.
  }
  return { el: meter, stop: () => (clearInterval(timer), ctx?.close()) };
}

/** Device pickers for the camera and the microphone; `onPick(kind, deviceId)`. */
async function devicePickers(current, onPick) {
  const list = await navigator.mediaDevices.enumerateDevices();
  const picker = (kind, label) => {
    const devices = list.filter((d) => d.kind === kind);
    if (devices.length === 0) return null;
    const sel = h("select", { "aria-label": label, "data-testid": `pick-${kind}`, onchange: (e) => onPick(kind === "videoinput" ? "video" : "audio", e.target.value) },
      devices.map((d, i) => h("option", { value: d.deviceId, selected: d.deviceId === current[kind] ? true : undefined, text: d.label || `${label} ${i + 1}` })));
    return h("label.pick", {}, h("span", { text: label }), sel);
  };
  return h("div.pickers", {}, picker("videoinput", t("camera")), picker("audioinput", t("microphone")));
}

/**
 * The waiting room's check: a preview of the camera, the microphone's level, the devices to
 * choose. Returns `{ el, stop }`; the choice is kept for the call.
 */
export async function deviceCheck(video) {
  const box = h("div.device-check", { "data-testid": "device-check" }, h("strong", { text: t("check") }), h("small.muted", { text: t("checkHint") }));
  let media;
  try {
    media = await localMedia(video, chosen);
  } catch {
    box.append(h("p.call-error", { role: "alert", text: t("noMedia") }));
    return { el: box, stop: () => {} };
  }
  const preview = h("video.preview", { autoplay: true, playsinline: true, muted: true, "data-testid": "preview" });
  preview.muted = true;
  preview.srcObject = media.stream;
  const meter = levelMeter(media.stream);
  if (!media.audioOnly && video) box.append(preview);
  else if (video) box.append(h("p.call-note", { text: t("audioOnly") }));
  box.append(meter.el);
  const current = { videoinput: media.stream.getVideoTracks()[0]?.getSettings().deviceId, audioinput: media.stream.getAudioTracks()[0]?.getSettings().deviceId };
  box.append(await devicePickers(current, async (kind, id) => {
    chosen[kind] = id;
    stop();
    const again = await deviceCheck(video);
    box.replaceWith(again.el);
    stopNext = again.stop;
  }));
  let stopNext = null;
  const stop = () => {
    meter.stop();
    for (const tr of media.stream.getTracks()) tr.stop();
    stopNext?.();
  };
  return { el: box, stop };
}

// The devices the patient chose in the check, used by the call.
const chosen = {};

/**
 * One side of a call. `role`: "caller" (the operator's page: it offers) or "callee" (the
 * patient's page: it answers). `send(frame)` puts a signalling frame on the WebSocket;
 * `iceServers()` fetches `GET /api/v1/calls/ice-servers`; `onChange()` redraws.
 */
export function callSession({ call, role, send, iceServers, onChange, peerName }) {
  const s = {
    call, role, peerName,
    phase: role === "caller" && call.state === "ringing" ? "ringing" : "connecting",
    local: null, remote: new MediaStream(), audioOnly: false, muted: false, cameraOff: false,
    route: "", bytesIn: { audio: 0, video: 0 }, error: null, pc: null,
  };
  let queued = []; // candidates that came before the remote description
  let pendingOffer = null; // the offer that came while it rang
  let restartTimer = null;
  let refreshTimer = null;
  let statsTimer = null;
  let config = null;

  const frame = (type, extra) => send({ type, call_id: call.id, ...extra });

  async function configure() {
    const ice = await iceServers();
    config = { iceServers: ice.ice_servers, iceTransportPolicy: ice.ice_transport_policy === "relay" ? "relay" : "all" };
    // Fresh credentials before these expire; a call on the relay restarts ICE onto them.
    const ms = Math.max(60000, (Date.parse(ice.expires_at) - Date.now()) * 0.66);
    refreshTimer = setTimeout(async () => {
      try {
        await configure();
        s.pc?.setConfiguration(config);
        if (role === "caller" && s.route === "relay") s.pc?.restartIce();
      } catch {
        // The next restart uses what it has.
      }
    }, ms);
  }

  function peer() {
    const pc = new RTCPeerConnection(config);
    s.pc = pc;
    pc.onicecandidate = (e) => e.candidate && frame("call.ice", { candidate: e.candidate.toJSON() });
    pc.ontrack = (e) => {
      if (!s.remote.getTracks().includes(e.track)) s.remote.addTrack(e.track);
      e.track.onunmute = onChange;
      onChange();
    };
    pc.oniceconnectionstatechange = () => {
      const st = pc.iceConnectionState;
      if (st === "connected" || st === "completed") {
        clearTimeout(restartTimer);
        s.phase = "connected";
      } else if (st === "disconnected" || st === "failed") {
        s.phase = "reconnecting";
        // The offerer mends the path: at once when it failed, after a moment's grace when it
        // only dropped (it often comes back by itself).
        // Again every five seconds until it holds (the relay or the network may take a while).
        if (role === "caller") {
          clearTimeout(restartTimer);
          const again = () => {
            if (s.phase === "ended" || ["connected", "completed"].includes(pc.iceConnectionState)) return;
            pc.restartIce();
            restartTimer = setTimeout(again, 5000);
          };
          restartTimer = setTimeout(again, st === "failed" ? 0 : 2000);
        }
      }
      onChange();
    };
    if (role === "caller") {
      pc.onnegotiationneeded = async () => {
        try {
          await pc.setLocalDescription(await pc.createOffer());
          frame("call.offer", { sdp: pc.localDescription.sdp });
        } catch (e) {
          s.error = e.message;
          onChange();
        }
      };
    }
    // Often until sound arrives (the screen says "connected" with the first bytes), then once
    // a second.
    const tick = async () => {
      await readStats().catch(() => {});
      if (s.phase !== "ended") statsTimer = setTimeout(tick, s.bytesIn.audio > 0 ? 1000 : 100);
    };
    statsTimer = setTimeout(tick, 100);
    return pc;
  }

  async function readStats() {
    if (!s.pc) return;
    const report = await s.pc.getStats();
    const bytes = { audio: 0, video: 0 };
    let pair = null;
    const byId = new Map();
    report.forEach((r) => {
      byId.set(r.id, r);
      if (r.type === "inbound-rtp") bytes[r.kind] = (bytes[r.kind] || 0) + (r.bytesReceived || 0);
      if (r.type === "transport" && r.selectedCandidatePairId) pair = r.selectedCandidatePairId;
    });
    const chosenPair = pair && byId.get(pair);
    const localCandidate = chosenPair && byId.get(chosenPair.localCandidateId);
    s.bytesIn = bytes;
    s.route = localCandidate ? (localCandidate.candidateType === "relay" ? "relay" : "direct") : "";
    onChange();
  }

  async function media() {
    try {
      const m = await localMedia(call.media === "video", chosen);
      s.local = m.stream;
      s.audioOnly = m.audioOnly;
    } catch {
      s.error = t("noMedia");
      s.local = new MediaStream();
    }
    onChange();
  }

  /** The caller: media now (a preview while it rings), the offer once the patient answers. */
  let ready = null;
  /** The caller: media and the offer at once, while it rings (the offer waits on the patient's
   * page until they answer, so the answer finds the path half made). */
  async function begin() {
    ready = Promise.all([media(), configure()]);
    await ready;
    if (role === "caller" && s.call.state !== "ended") connect();
  }

  // The patient may answer before this page has its camera and ICE servers: the offer waits
  // for them.
  async function connect() {
    await ready;
    if (s.pc || s.phase === "ended") return;
    s.phase = "connecting";
    const pc = peer();
    for (const tr of s.local.getTracks()) pc.addTrack(tr, s.local);
    // A video call stays ready to receive video even if this side has no camera.
    if (call.media === "video" && s.local.getVideoTracks().length === 0) pc.addTransceiver("video", { direction: "recvonly" });
    if (s.local.getAudioTracks().length === 0) pc.addTransceiver("audio", { direction: "recvonly" });
    onChange();
  }

  /** A signalling frame from the other party, or the call's new state (an event). */
  async function handle(f) {
    if (f.call_id !== call.id) return;
    try {
      if (f.type === "call.offer" && role === "callee" && !s.accepted) {
        // Rang with the offer: it waits for the answer.
        pendingOffer = f;
        return;
      } else if (f.type === "call.offer" && role === "callee") {
        const pc = s.pc || peer();
        await pc.setRemoteDescription({ type: "offer", sdp: f.sdp });
        if (pc.getSenders().every((x) => !x.track) && s.local) {
          for (const tr of s.local.getTracks()) {
            const tx = pc.getTransceivers().find((x) => x.receiver.track.kind === tr.kind && !x.sender.track);
            if (tx) {
              await tx.sender.replaceTrack(tr);
              tx.direction = "sendrecv";
              tx.sender.setStreams?.(s.local);
            } else pc.addTrack(tr, s.local);
          }
        }
        for (const c of queued) await pc.addIceCandidate(c);
        queued = [];
        await pc.setLocalDescription(await pc.createAnswer());
        frame("call.answer", { sdp: pc.localDescription.sdp });
      } else if (f.type === "call.answer" && role === "caller" && s.pc) {
        await s.pc.setRemoteDescription({ type: "answer", sdp: f.sdp });
        for (const c of queued) await s.pc.addIceCandidate(c);
        queued = [];
      } else if (f.type === "call.ice" && f.candidate) {
        if (s.pc?.remoteDescription) await s.pc.addIceCandidate(f.candidate);
        else queued.push(f.candidate);
      } else if (f.type === "call.hangup") {
        close();
      }
      // A candidate changes nothing on screen (and a redraw under a finger loses its tap).
      if (f.type === "call.ice") return;
    } catch (e) {
      s.error = e.message;
    }
    onChange();
  }

  /** The patient answers (media and ICE servers ready): the offer that waited is answered. */
  async function accept() {
    s.accepted = true;
    if (pendingOffer) {
      const f = pendingOffer;
      pendingOffer = null;
      await handle(f);
    }
  }

  /** The call's record changed (an event): ended → all stops. */
  function update(c) {
    if (c.id !== call.id) return;
    s.call = c;
    if (c.state === "ended") close();
    else if (role === "caller") connect();
    onChange();
  }

  function close() {
    if (s.phase === "ended") return;
    s.phase = "ended";
    clearTimeout(restartTimer);
    clearTimeout(refreshTimer);
    clearTimeout(statsTimer);
    s.pc?.close();
    for (const tr of s.local?.getTracks() || []) tr.stop();
    onChange();
  }

  function hangup() {
    frame("call.hangup", {});
    close();
  }

  function toggleMute() {
    s.muted = !s.muted;
    for (const tr of s.local?.getAudioTracks() || []) tr.enabled = !s.muted;
    onChange();
  }

  function toggleCamera() {
    s.cameraOff = !s.cameraOff;
    for (const tr of s.local?.getVideoTracks() || []) tr.enabled = !s.cameraOff;
    onChange();
  }

  /** Another camera or microphone, swapped in without renegotiating. */
  async function switchDevice(kind, deviceId) {
    chosen[kind] = deviceId;
    const constraints = kind === "video" ? { video: { deviceId: { exact: deviceId } } } : { audio: { deviceId: { exact: deviceId } } };
    const fresh = await navigator.mediaDevices.getUserMedia(constraints);
    const track = fresh.getTracks()[0];
    const old = kind === "video" ? s.local.getVideoTracks()[0] : s.local.getAudioTracks()[0];
    if (old) {
      s.local.removeTrack(old);
      old.stop();
    }
    s.local.addTrack(track);
    track.enabled = kind === "video" ? !s.cameraOff : !s.muted;
    const target = s.pc?.getSenders().find((x) => x.track?.kind === track.kind) || s.pc?.getTransceivers().find((x) => x.receiver.track.kind === track.kind)?.sender;
    await target?.replaceTrack(track);
    onChange();
  }

  return { s, begin, accept, handle, update, hangup, close, toggleMute, toggleCamera, switchDevice, connect, media, configure, changed: onChange };
}

/** The call's screen: the other's video (or their initial), one's own, a timer and controls. */
export function callView(session, { onHangup, onAccept, onDecline }) {
  const { s } = session;
  const ringingIn = s.role === "callee" && s.call.state === "ringing";
  const name = s.peerName || t("doctor");
  const answered = s.call.answered_at ? Math.max(0, Math.floor((Date.now() - Date.parse(s.call.answered_at)) / 1000)) : 0;
  let status;
  if (s.phase === "ended" || s.call.state === "ended") {
    const end = s.call.end;
    status = end === "declined" ? t("declined") : end === "no_answer" ? t("noAnswer") : end === "failed" ? t("failed") : t("ended");
    if (s.call.duration_seconds) status += ` · ${t("duration", { d: clock(s.call.duration_seconds) })}`;
  } else if (ringingIn) status = s.call.media === "video" ? t("incomingVideo") : t("incomingAudio");
  else if (s.call.state === "ringing") status = t("calling", { name });
  else if (s.phase === "reconnecting") status = t("reconnecting");
  else if (s.phase === "connected") status = clock(answered);
  else status = t("connecting");

  // The stage (the videos) is made once per call and moved between redraws: a playing
  // element moved within one task keeps playing.
  const stage = session.stage || (session.stage = makeStage(session, name));
  refreshStage(stage, session, ringingIn);
  const button = (cls, label, onclick, testid, pressed) => h(`button.${cls}`, { type: "button", onclick, "aria-label": label, title: label, "data-testid": testid, "aria-pressed": pressed === undefined ? undefined : String(pressed) }, label);
  let controls;
  if (ringingIn) {
    controls = [button("accept", t("accept"), onAccept, "call-accept"), button("hangup", t("decline"), onDecline, "call-decline")];
  } else if (s.phase === "ended" || s.call.state === "ended") {
    controls = [];
  } else {
    controls = [
      button("ctl", s.muted ? t("unmute") : t("mute"), session.toggleMute, "call-mute", s.muted),
      s.call.media === "video" && !s.audioOnly ? button("ctl", s.cameraOff ? t("cameraOn") : t("cameraOff"), session.toggleCamera, "call-camera", s.cameraOff) : null,
      button("ctl", t("devices"), () => ((s.showDevices = !s.showDevices), session.changed()), "call-devices", !!s.showDevices),
      button("hangup", t("hangup"), onHangup, "call-hangup"),
    ];
  }
  const wrap = h(
    "section.call",
    { role: "dialog", "aria-modal": "true", "aria-label": status, "data-testid": "call", "data-state": s.call.state, "data-phase": s.phase, "data-route": s.route, "data-audio-in": s.bytesIn.audio || 0, "data-video-in": s.bytesIn.video || 0 },
    stage,
    h("header.call-top", {}, h("strong", { text: name }), h("span", { "data-testid": "call-status", role: "status", text: status }), s.route === "relay" ? h("small", { text: t("relay") }) : null),
    s.audioOnly ? h("p.call-note", { text: t("audioOnly") }) : null,
    s.error ? h("p.call-error", { role: "alert", text: s.error }) : null,
    !ringingIn && s.local && s.phase !== "ended" ? devicesPanel(session) : null,
    ringingIn ? h("p.call-ring", { text: t("incoming", { name }) }) : null,
    footer(session, controls, [ringingIn, s.phase === "ended" || s.call.state === "ended", s.muted, s.cameraOff, s.audioOnly, !!s.showDevices].join()),
  );
  if (s.showDevices) wrap.classList.add("show-devices");
  return wrap;
}

function makeStage(session, name) {
  const { s } = session;
  const remote = h("video.remote", { autoplay: true, playsinline: true, "data-testid": "remote" });
  remote.srcObject = s.remote;
  const stage = h("div.stage", {}, remote, h("div.avatar", { "aria-hidden": "true", text: [...name][0] || "?" }));
  remote.play?.().catch(() => {
    // Sound needs a tap where the browser blocks autoplay.
    const b = h("button.sound", { type: "button", onclick: () => (remote.play(), b.remove()) }, t("sound"));
    stage.append(b);
  });
  return stage;
}

/** Keeps the stage in step with the session: one's own preview, whether the other's video shows. */
function refreshStage(stage, session, ringingIn) {
  const { s } = session;
  let self = stage.querySelector("video.self");
  const wantSelf = s.local && s.call.media === "video" && !s.audioOnly && !ringingIn && s.phase !== "ended";
  if (wantSelf && !self) {
    self = h("video.self", { autoplay: true, playsinline: true, muted: true, "aria-hidden": "true" });
    self.muted = true;
    stage.append(self);
  }
  if (self && !wantSelf) self.remove();
  if (wantSelf && self.srcObject !== s.local) self.srcObject = s.local;
  stage.dataset.video = String(s.phase !== "ended" && s.call.media === "video" && s.remote.getVideoTracks().some((tr) => !tr.muted));
}

/** The buttons, made again only when what they show changed: a redraw (every second in a
 * call) that replaced them between a press and its release would lose the click. */
function footer(session, controls, key) {
  if (controls.length === 0) return null;
  if (session.footerKey !== key) {
    session.footerKey = key;
    session.footer = h("footer.call-controls", {}, controls);
  }
  return session.footer;
}

/** The camera and microphone pickers, made once per call. */
function devicesPanel(session) {
  if (session.devicesPanel) return session.devicesPanel;
  const panel = h("div.devices-panel", { "data-testid": "devices-panel" });
  session.devicesPanel = panel;
  const current = { videoinput: session.s.local.getVideoTracks()[0]?.getSettings().deviceId, audioinput: session.s.local.getAudioTracks()[0]?.getSettings().deviceId };
  devicePickers(current, session.switchDevice).then((p) => panel.append(p), () => {});
  return panel;
}

/** A ring, made with Web Audio (no sound file): two short tones every two seconds. */
export function ringer() {
  let ctx = null;
  let timer = null;
  const beep = () => {
    try {
      ctx = ctx || new AudioContext();
      for (const at of [0, 0.35]) {
        const o = ctx.createOscillator();
        const g = ctx.createGain();
        o.frequency.value = 440;
        g.gain.value = 0.08;
        o.connect(g).connect(ctx.destination);
        o.start(ctx.currentTime + at);
        o.stop(ctx.currentTime + at + 0.25);
      }
      navigator.vibrate?.([250, 100, 250]);
    } catch {
      // No sound: the screen still rings.
    }
  };
  beep();
  timer = setInterval(beep, 2000);
  return () => (clearInterval(timer), ctx?.close());
}

// ---------------------------------------------------------------------------------------------
// The patient's side (the web page, app.js): the doctor calls, the page rings over whatever is
// on screen; answering starts the camera and microphone and the doctor's side connects. The
// call's screen lies above the page (`#call-layer`), so the thread's redraws never touch it.

/** `call`: app.js's API helper; `stopCheck()` ends the waiting room's device check. Returns
 * `receive(ev)` for the page's call events and signalling frames. */
export function patientCalls({ call, stopCheck }) {
  let ringing = null; // { session, stopRing, configured, closing }
  // Frames of a call whose screen is not made yet: kept for it, a few.
  let early = [];

  function receive(ev) {
    if (ev.kind === "call") return changed(ev.data);
    if (ringing && ringing.session.s.call.id === ev.call_id) return ringing.session.handle(ev);
    early = [...early.slice(-199), ev];
  }

  function changed(c) {
    if (!ringing || ringing.session.s.call.id !== c.id) {
      // Only a call that rings now opens the screen (a replayed old one does not).
      if (c.state !== "ringing" || (ringing && ringing.session.s.phase !== "ended")) return;
      stopCheck();
      const session = callSession({
        call: c,
        role: "callee",
        send: (f) => window.carelineSocket?.readyState === 1 && window.carelineSocket.send(JSON.stringify(f)),
        iceServers: () => call("GET", "/api/v1/calls/ice-servers"),
        onChange: () => draw(),
      });
      // The ICE servers while it rings: answering then waits only for the camera.
      ringing = { session, stopRing: ringer(), configured: session.configure().catch(() => {}) };
      for (const f of early.filter((x) => x.call_id === c.id)) session.handle(f);
      early = [];
    } else ringing.session.update(c);
    if (c.state !== "ringing") ringing.stopRing?.();
    draw();
  }

  function draw() {
    let layer = document.getElementById("call-layer");
    if (!ringing) return layer?.remove();
    if (!layer) document.body.append((layer = h("div", { id: "call-layer" })));
    const current = ringing;
    const { session } = current;
    const s = session.s;
    const accept = async () => {
      current.stopRing?.();
      try {
        await Promise.all([session.media(), current.configured]);
        const answered = call("POST", `/api/v1/calls/${s.call.id}/answer`);
        await session.accept();
        session.update(await answered);
      } catch (err) {
        s.error = err.message;
        draw();
      }
    };
    const decline = async () => {
      current.stopRing?.();
      try {
        session.update(await call("POST", `/api/v1/calls/${s.call.id}/decline`));
      } catch {
        session.close();
      }
    };
    const hangup = async () => {
      session.hangup();
      try {
        session.update(await call("POST", `/api/v1/calls/${s.call.id}/hangup`, {}));
      } catch {
        // The doctor's side or the server ends it.
      }
    };
    layer.replaceChildren(callView(session, { onAccept: accept, onDecline: decline, onHangup: hangup }));
    if (s.phase === "ended" && !current.closing) {
      // The ended screen stays a moment, then the chat is back (unless another call rang).
      current.closing = setTimeout(() => {
        if (ringing !== current) return;
        ringing = null;
        draw();
      }, 4000);
    }
  }
  setInterval(() => ringing?.session.s.phase === "connected" && draw(), 1000);
  return { receive };
}

// ---------------------------------------------------------------------------------------------
// The operator's call page (call.html): a one-time link from the desk, traded for a session
// that may do nothing but this call.

async function operatorPage() {
  const root = document.getElementById("app");
  document.documentElement.lang = LANG;
  const code = location.hash.slice(1);
  // The code is spent on first use; out of the address bar, out of the history.
  history.replaceState(null, "", location.pathname);
  const api = async (method, path, body, token) => {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await r.json().catch(() => null);
    if (!r.ok) throw Object.assign(new Error(data?.message || `HTTP ${r.status}`), { status: r.status });
    return data;
  };
  let grant;
  try {
    grant = await api("POST", "/api/v1/calls/redeem", { code });
  } catch (e) {
    root.replaceChildren(h("p.call-error", { role: "alert", "data-testid": "call-link-error", text: e.status === 401 ? t("linkUsed") : e.message }));
    return;
  }
  const token = grant.token;
  let ws = null;
  const outbox = [];
  const send = (f) => (ws?.readyState === 1 ? ws.send(JSON.stringify(f)) : outbox.push(f));
  const session = callSession({
    call: grant.call,
    role: "caller",
    peerName: grant.client_name,
    send,
    iceServers: () => api("GET", "/api/v1/calls/ice-servers", undefined, token),
    onChange: () => draw(),
  });
  const hangup = async () => {
    session.hangup();
    try {
      session.update(await api("POST", `/api/v1/calls/${grant.call.id}/hangup`, {}, token));
    } catch {
      // The desk or the server's sweep ends it.
    }
  };
  function draw() {
    const view = callView(session, { onHangup: hangup });
    if (session.s.phase === "ended") view.append(h("p.call-note", { text: t("closeWindow") }));
    root.replaceChildren(view);
  }
  function connectWs() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/api/v1/ws`);
    ws.onopen = () => {
      ws.send(JSON.stringify({ token }));
      while (outbox.length) ws.send(JSON.stringify(outbox.shift()));
    };
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.kind === "call") session.update(f.data);
      else if (typeof f.type === "string" && f.type.startsWith("call.")) session.handle(f);
    };
    ws.onclose = () => session.s.phase !== "ended" && setTimeout(connectWs, 1000);
  }
  draw();
  connectWs();
  await session.begin();
  // The patient may have answered before this page opened.
  try {
    session.update(await api("GET", `/api/v1/calls/${grant.call.id}`, undefined, token));
  } catch {
    // The event brings it.
  }
  setInterval(() => session.s.phase === "connected" && draw(), 1000);
}

if (document.documentElement.dataset.page === "call") operatorPage();
