// The WebRTC wire: one RTCPeerConnection per peer, one data channel per
// payload type, labelled and configured as the Go side expects
// (wire/webrtc/channels.go, inband.go): in-band (DCEP), RPC_RELIABLE first;
// the first three ordered and reliable, STREAM_LATENCY_FIRST unordered
// with 3 retransmits and never fragmented.
import { fragments, maxChunk, Reassembler, byteBudget } from "./fragment.js";
import { ClosedError, InvalidArgumentError, NoRouteError, PeerProtocolError, TimeoutError } from "./errors.js";

export const labels = ["RPC_RELIABLE", "RPC_SIGNAL", "STREAM_RELIABLE", "STREAM_LATENCY_FIRST"];
export const LATENCY_FIRST = 3;
const SDP = { OFFER: 0, ANSWER: 1, RENEGOTIATION_OFFER: 2, ICE_RESTART_OFFER: 3 };
const maxEarlyCandidates = 32;
const maxChannels = 8;
const highWater = 1 << 20; // bytes queued in a channel before a send waits
const lowWater = 256 << 10;

function randomHex(n) {
  return Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class RTCSession {
  /**
   * sig: the SignalingClient; remote: the peer's ActrId; offerer: this
   * side offers; opts: { iceServers, maxMessage, onMessage(pt, bytes),
   * onError(err), onState(state) }.
   */
  constructor(sig, remote, offerer, opts) {
    this.sig = sig;
    this.remote = remote;
    this.offerer = offerer;
    this.opts = opts;
    this.pc = new RTCPeerConnection({ iceServers: opts.iceServers ?? [] });
    this.channels = new Array(4).fill(null); // open, by payload type
    this.created = new Array(4).fill(false);
    this.waiters = [[], [], [], []];
    this.nextID = [0, 0, 0, 0];
    this.received = [0, 0, 0, 0]; // channel messages, by payload type (for diagnostics)
    this.budget = byteBudget(2 * opts.maxMessage);
    this.reasm = labels.map(() => new Reassembler({ maxMessage: opts.maxMessage, budget: this.budget }));
    this.early = [];
    this.haveRemote = false;
    this.exchange = "";
    this.closed = false;
    this.peerChannels = 0;
    this.readyAt = 0;
    this.startedAt = performance.now();
    this.ready = new Promise((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => {});
    this.pc.onicecandidate = (ev) => {
      if (!ev.candidate || !ev.candidate.candidate) return;
      const c = ev.candidate;
      this.sig.relay(this.remote, { case: "iceCandidate", value: {
        candidate: c.candidate, sdpMid: c.sdpMid ?? undefined, sdpMlineIndex: c.sdpMLineIndex ?? undefined,
        usernameFragment: c.usernameFragment ?? undefined,
      } }).catch((e) => this.fail(e));
    };
    this.pc.ondatachannel = (ev) => this.adoptRemote(ev.channel);
    this.pc.oniceconnectionstatechange = () => this.onICEState();
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === "closed") this.close(new ClosedError("the peer connection closed"));
    };
  }

  report(e) {
    try {
      this.opts.onError?.(e);
    } catch {}
  }

  // A channel the peer opened: its label names its lane.
  adoptRemote(dc) {
    const pt = labels.indexOf(dc.label);
    if (pt < 0 || ++this.peerChannels > maxChannels) {
      this.report(new PeerProtocolError(`closed a data channel labelled ${JSON.stringify(dc.label.slice(0, 64))}`));
      dc.close();
      return;
    }
    this.adopt(pt, dc);
  }

  adopt(pt, dc) {
    dc.binaryType = "arraybuffer";
    dc.bufferedAmountLowThreshold = lowWater;
    const open = () => {
      if (!this.channels[pt]) {
        this.channels[pt] = dc;
        for (const w of this.waiters[pt].splice(0)) w.resolve(dc);
      }
      if (pt === 0 && !this.readyAt) {
        this.readyAt = performance.now();
        try {
          this.opts.onReady?.(this.readyAt - this.startedAt);
        } catch {}
        this.resolveReady(this);
      }
    };
    // A channel the peer opened is announced open before Chromium is done
    // with it: a message sent at once is, now and then, never transmitted
    // (it stays in bufferedAmount, or is gone). Measured in the browser
    // tests: about 1 in 10 sessions the Go node offered lost the
    // browser's first message; used from the next task, none in 120
    // unloaded but 1 in 80 under CPU load; used once the SCTP transport
    // also says connected, none in 80 under the same load.
    if (dc.readyState === "open") this.whenSCTPConnected(() => setTimeout(open, 0));
    else dc.onopen = open;
    dc.onmessage = (ev) => this.onChannelMessage(pt, ev.data);
    dc.onclose = () => {
      if (this.channels[pt] === dc) this.channels[pt] = null;
    };
  }

  // whenSCTPConnected calls fn once the SCTP transport says connected
  // (at once if it does already, or if the browser has no such state).
  whenSCTPConnected(fn) {
    const t = this.pc.sctp;
    this.sctpAtAdopt = t?.state;
    if (!t || t.state === "connected") return fn();
    const on = () => {
      if (t.state === "connecting") return;
      t.removeEventListener("statechange", on);
      fn();
    };
    t.addEventListener("statechange", on);
  }

  onChannelMessage(pt, data) {
    this.received[pt]++;
    if (!(data instanceof ArrayBuffer)) {
      this.report(new PeerProtocolError(`a text message on ${labels[pt]}: dropped`));
      return;
    }
    let msg;
    try {
      msg = this.reasm[pt].push(new Uint8Array(data));
    } catch (e) {
      this.report(e);
      return;
    }
    if (msg) this.opts.onMessage(pt, msg);
  }

  open(pt) {
    if (this.created[pt] || this.closed) return;
    this.created[pt] = true;
    const init = pt === LATENCY_FIRST ? { ordered: false, maxRetransmits: 3 } : { ordered: true };
    this.adopt(pt, this.pc.createDataChannel(labels[pt], init));
  }

  async offer(restart = false) {
    if (!restart) for (let pt = 0; pt < 4; pt++) this.open(pt);
    const o = await this.pc.createOffer(restart ? { iceRestart: true } : undefined);
    await this.pc.setLocalDescription(o);
    this.exchange = randomHex(8);
    await this.sig.relay(this.remote, { case: "sessionDescription", value: {
      type: restart ? SDP.ICE_RESTART_OFFER : SDP.OFFER, sdp: o.sdp, sdpExchangeId: this.exchange,
    } });
  }

  async onDescription(sd) {
    if (this.closed) return;
    if (sd.type === SDP.ANSWER) {
      if (!this.offerer || sd.sdpExchangeId !== this.exchange || this.pc.signalingState !== "have-local-offer") return;
      await this.pc.setRemoteDescription({ type: "answer", sdp: sd.sdp });
      await this.flushEarly();
      return;
    }
    if (!sd.sdpExchangeId) return; // as actr does
    await this.pc.setRemoteDescription({ type: "offer", sdp: sd.sdp });
    await this.flushEarly();
    const a = await this.pc.createAnswer();
    await this.pc.setLocalDescription(a);
    this.exchange = sd.sdpExchangeId;
    await this.sig.relay(this.remote, { case: "sessionDescription", value: { type: SDP.ANSWER, sdp: a.sdp, sdpExchangeId: sd.sdpExchangeId } });
  }

  async onCandidate(c) {
    if (this.closed || typeof c.candidate !== "string" || c.candidate.length > 1024) return;
    const init = { candidate: c.candidate, sdpMid: c.sdpMid ?? "0", sdpMLineIndex: c.sdpMlineIndex ?? 0 };
    if (!this.haveRemote) {
      if (this.early.length < maxEarlyCandidates) this.early.push(init);
      return;
    }
    try {
      await this.pc.addIceCandidate(init);
    } catch (e) {
      this.report(new PeerProtocolError(`an unusable ICE candidate: ${e.message}`));
    }
  }

  async flushEarly() {
    this.haveRemote = true;
    for (const c of this.early.splice(0)) {
      try {
        await this.pc.addIceCandidate(c);
      } catch {}
    }
  }

  onICEState() {
    const s = this.pc.iceConnectionState;
    try {
      this.opts.onState?.(s);
    } catch {}
    if (s !== "failed" || this.closed) return;
    this.restartIce("ice failed (browser)").catch((e) => this.report(e));
  }

  /**
   * ICE restart: the offerer restarts (new credentials, fresh
   * candidates); an answerer asks the offerer for one. The session, its
   * channels and what they carry stay as they are.
   */
  async restartIce(reason = "asked by the application") {
    if (this.closed) throw new ClosedError("the WebRTC session is closed");
    this.restarts = (this.restarts ?? 0) + 1;
    if (this.offerer) await this.offer(true);
    else await this.sig.relay(this.remote, { case: "iceRestartRequest", value: { reason } });
  }

  /** Whether a Send can go now: RPC_RELIABLE open and the connection neither closed nor failing (traffic then takes another wire). */
  isReady() {
    const cs = this.pc.connectionState;
    if (cs === "closed" || cs === "failed") this.close(new NoRouteError(`the WebRTC connection is ${cs}`));
    return !this.closed && cs !== "disconnected" && this.channels[0] !== null && this.channels[0].readyState === "open";
  }

  async channel(pt, timeoutMs) {
    const dc = this.channels[pt];
    if (dc && dc.readyState === "open") return dc;
    this.open(pt);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new TimeoutError(`data channel ${labels[pt]} did not open within ${timeoutMs} ms`)), timeoutMs);
      this.waiters[pt].push({ resolve: (d) => { clearTimeout(t); resolve(d); }, reject: (e) => { clearTimeout(t); reject(e); } });
    });
  }

  async send(pt, msg, timeoutMs = 10_000) {
    if (this.closed) throw new NoRouteError("the WebRTC session is closed");
    if (pt === LATENCY_FIRST && msg.length > maxChunk) throw new InvalidArgumentError(`STREAM_LATENCY_FIRST takes messages of at most ${maxChunk} bytes (it is never fragmented)`);
    if (msg.length > this.opts.maxMessage) throw new InvalidArgumentError(`a message of ${msg.length} bytes, over the ${this.opts.maxMessage}-byte limit`);
    const dc = await this.channel(pt, timeoutMs);
    const id = this.nextID[pt] = (this.nextID[pt] + 1) >>> 0;
    for (const f of fragments(id, msg)) {
      if (dc.bufferedAmount > highWater) await drained(dc, timeoutMs);
      if (dc.readyState !== "open") throw new NoRouteError(`data channel ${labels[pt]} closed mid-message`);
      dc.send(f);
    }
  }

  fail(e) {
    this.report(e);
  }

  close(err = new ClosedError("the WebRTC session is closed")) {
    if (this.closed) return;
    this.closed = true;
    this.rejectReady(err);
    for (const ws of this.waiters) for (const w of ws.splice(0)) w.reject(err);
    for (const r of this.reasm) r.clear();
    try {
      this.pc.close();
    } catch {}
    try {
      this.opts.onClose?.(err);
    } catch {}
  }
}

function drained(dc, timeoutMs) {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(t);
      dc.removeEventListener("bufferedamountlow", done);
      dc.removeEventListener("close", done);
      resolve();
    };
    const t = setTimeout(() => {
      dc.removeEventListener("bufferedamountlow", done);
      dc.removeEventListener("close", done);
      reject(new TimeoutError(`the peer took nothing from ${dc.label} for ${timeoutMs} ms`));
    }, timeoutMs);
    dc.addEventListener("bufferedamountlow", done);
    dc.addEventListener("close", done);
  });
}
