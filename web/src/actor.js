// An actor in a web page: registers with a signaling server, reaches Go
// nodes over WebRTC and over their WebSocket gates, sends and receives.
import { SignalingClient } from "./signaling.js";
import { RTCSession, labels } from "./webrtc.js";
import { GateConn } from "./wsgate.js";
import { actorKey, actorText, toActrId } from "./ids.js";
import { toBytes } from "./bytes.js";
import { ClosedError, InvalidArgumentError, NoRouteError, PeerProtocolError } from "./errors.js";
import { RpcEndpoint } from "./rpc.js";

export const PayloadType = Object.freeze({ RPC_RELIABLE: 0, RPC_SIGNAL: 1, STREAM_RELIABLE: 2, STREAM_LATENCY_FIRST: 3 });
const defaultMaxMessage = 16 << 20;
const maxPeers = 256;

export class Actor {
  /** Registers and connects; resolves with a started Actor. See index.d.ts for opts. */
  static async start(opts) {
    const a = new Actor(opts);
    await a.sig.start();
    return a;
  }

  constructor(opts) {
    if (!opts?.signalingURL || !opts.type?.manufacturer || !opts.type?.name) throw new InvalidArgumentError("Actor.start needs signalingURL and type {manufacturer, name}");
    this.opts = { realm: 1, maxMessage: defaultMaxMessage, connectTimeoutMs: 10_000, ...opts };
    this.handlers = new Set();
    this.errorHandlers = new Set();
    this.rtc = new Map(); // actor key → RTCSession
    this.gates = new Map(); // actor key → GateConn
    this.gateURLs = new Map(); // actor key → URL
    this.closed = false;
    this.counters = { received: 0, sent: 0, peerErrors: 0 };
    this.rpc = new RpcEndpoint({ ...this.opts.rpc, send: (id, pt, bytes, o) => this.send(id, pt, bytes, o), emitError: (e) => this.emitError(e) });
    this.sig = new SignalingClient({
      url: this.opts.signalingURL, realm: this.opts.realm, type: this.opts.type,
      joinToken: this.opts.joinToken, realmSecret: this.opts.realmSecret, answerOnly: this.opts.answerOnly,
      onRelay: (r) => this.onRelay(r), onError: (e) => this.emitError(e), onState: (s, e) => this.opts.onState?.(s, e),
    });
  }

  /** This actor's ActrId (serialNumber is a BigInt). */
  get id() {
    return this.sig.id;
  }

  /** Our text form of this actor's id, what `actr send --to` takes. */
  get idText() {
    return actorText(this.sig.id);
  }

  onMessage(fn) {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  }

  onError(fn) {
    this.errorHandlers.add(fn);
    return () => this.errorHandlers.delete(fn);
  }

  emitError(e) {
    if (e instanceof PeerProtocolError) this.counters.peerErrors++;
    for (const h of this.errorHandlers) {
      try {
        h(e);
      } catch {}
    }
  }

  deliver(from, wire, pt, data) {
    this.counters.received++;
    // RPC lanes carry RpcEnvelopes; bytes that are not one (or carry no
    // direction) are plain messages, as on the Go side.
    if ((pt === 0 || pt === 1) && this.rpc.serve(from, actorKey(from), actorText(from), wire, pt, data)) return;
    const m = { from, fromText: actorText(from), payloadType: pt, payloadTypeName: labels[pt], data, wire };
    for (const h of this.handlers) {
      try {
        h(m);
      } catch (e) {
        this.emitError(e);
      }
    }
  }

  // Relays from peers: role assignments, descriptions, candidates.
  onRelay(r) {
    if (!r.source) return;
    const key = actorKey(r.source);
    const p = r.payload;
    let s = this.rtc.get(key);
    switch (p.case) {
      case "roleAssignment":
        if (p.value.isOfferer && (!s || !s.offerer || s.closed)) {
          s = this.newSession(r.source, true);
          s.offer().catch((e) => this.emitError(e));
        }
        break;
      case "sessionDescription": {
        const sd = p.value;
        if (sd.type !== 1 && (!s || s.closed || s.offerer || sd.type === 0)) {
          if (s && s.offerer && !s.closed && this.sig.id && compareIds(this.sig.id, r.source) > 0 && s.pc.signalingState === "have-local-offer") break; // glare: the larger offers
          s = this.newSession(r.source, false);
        }
        s?.onDescription(sd).catch((e) => this.emitError(e));
        break;
      }
      case "iceCandidate":
        s?.onCandidate(p.value);
        break;
      case "iceRestartRequest":
        if (s && s.offerer && !s.closed) s.offer(true).catch((e) => this.emitError(e));
        break;
    }
  }

  newSession(remote, offerer) {
    const key = actorKey(remote);
    this.rtc.get(key)?.close();
    if (this.rtc.size >= maxPeers) throw new NoRouteError(`at the limit of ${maxPeers} WebRTC peers`);
    const s = new RTCSession(this.sig, remote, offerer, {
      iceServers: this.opts.iceServers, maxMessage: this.opts.maxMessage,
      onMessage: (pt, data) => this.deliver(remote, "webrtc", pt, data),
      onError: (e) => this.emitError(e),
      onReady: (ms) => {
        this.counters.lastWebRTCOpenMs = ms;
        this.counters.lastWebRTCOfferer = offerer;
      },
      onClose: () => {
        if (this.rtc.get(key) === s) this.rtc.delete(key);
      },
    });
    this.rtc.set(key, s);
    return s;
  }

  /** Opens (or reuses) a WebRTC session with dest; resolves once RPC_RELIABLE is open. */
  async connectWebRTC(dest, timeoutMs = this.opts.connectTimeoutMs) {
    const id = toActrId(dest);
    const key = actorKey(id);
    let s = this.rtc.get(key);
    if (!s || s.closed) {
      const r = await this.sig.relay(id, { case: "roleNegotiation", value: { from: this.sig.id, to: id, realmId: this.sig.id.realm.realmId } }, true);
      const ra = r.flow.case === "actrRelay" && r.flow.value.payload.case === "roleAssignment" ? r.flow.value.payload.value : null;
      if (!ra) throw new NoRouteError(`role negotiation with ${actorText(id)} was not answered with a role`);
      s = this.rtc.get(key);
      if (ra.isOfferer && (!s || s.closed || !s.offerer)) {
        s = this.newSession(id, true);
        await s.offer();
      }
      s = this.rtc.get(key) ?? (await this.waitSession(key, timeoutMs));
    }
    return withTimeout(s.ready, timeoutMs, `no WebRTC session with ${actorText(id)} within ${timeoutMs} ms`);
  }

  waitSession(key, timeoutMs) {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const look = () => {
        const s = this.rtc.get(key);
        if (s) return resolve(s);
        if (performance.now() - start > timeoutMs) return reject(new NoRouteError("the peer never offered"));
        setTimeout(look, 10);
      };
      look();
    });
  }

  /** Dials dest's WebSocket gate (url, or the one it registered with the signaling server). */
  async connectWebSocket(dest, url, timeoutMs = this.opts.connectTimeoutMs) {
    const id = toActrId(dest);
    const key = actorKey(id);
    const have = this.gates.get(key);
    if (have?.isReady()) return have;
    url ??= this.gateURLs.get(key) ?? (await this.lookupGate(id));
    this.gateURLs.set(key, url);
    const g = new GateConn({
      maxMessage: this.opts.maxMessage,
      onMessage: (pt, data) => this.deliver(id, "websocket", pt, data),
      onError: (e) => this.emitError(e),
      onClose: () => {
        if (this.gates.get(key) === g) this.gates.delete(key);
      },
    });
    this.gates.set(key, g);
    try {
      return await g.dial(this.sig, url, id, timeoutMs);
    } catch (e) {
      g.close();
      throw e;
    }
  }

  async lookupGate(id) {
    const r = await this.sig.call("routeCandidatesRequest", { targetType: id.type, criteria: { candidateCount: 64 }, clientFingerprint: "" });
    const rc = r.flow.value?.payload?.value;
    const ok = rc?.result?.case === "success" ? rc.result.value : null;
    const want = actorKey(id);
    const e = ok?.wsAddressMap?.find((x) => x.candidateId && actorKey(x.candidateId) === want);
    if (!e?.wsAddress) throw new NoRouteError(`${actorText(id)} registered no WebSocket gate`);
    return e.wsAddress;
  }

  /**
   * Restarts ICE on the WebRTC session with dest (as the client does by
   * itself when ICE fails): the offerer restarts, an answerer asks the
   * peer to. Resolves once the restart is under way.
   */
  async restartIce(dest) {
    const s = this.rtc.get(actorKey(toActrId(dest)));
    if (!s || s.closed) throw new NoRouteError(`no WebRTC session with ${actorText(toActrId(dest))}`);
    await s.restartIce();
  }

  /** The wire a send to dest would take now, or null. */
  wireTo(dest) {
    const key = actorKey(toActrId(dest));
    if (this.rtc.get(key)?.isReady()) return "webrtc";
    if (this.gates.get(key)?.isReady()) return "websocket";
    return null;
  }

  /**
   * Sends data to dest on payloadType. opts.wire: "auto" (default: the
   * ready wire, WebRTC first; else dial WebRTC, then the gate), "webrtc"
   * or "websocket".
   */
  async send(dest, payloadType, data, opts = {}) {
    if (this.closed) throw new ClosedError("the actor is closed");
    const pt = typeof payloadType === "string" ? PayloadType[payloadType] : payloadType;
    if (!Number.isInteger(pt) || pt < 0 || pt > 3) throw new InvalidArgumentError(`unknown payload type ${payloadType}`);
    const id = toActrId(dest);
    const key = actorKey(id);
    const bytes = toBytes(data);
    const wire = opts.wire ?? "auto";
    const rtc = this.rtc.get(key), gate = this.gates.get(key);
    if (wire !== "websocket" && rtc?.isReady()) return this.sent(rtc.send(pt, bytes));
    if (wire !== "webrtc" && gate?.isReady()) return this.sent(gate.send(pt, bytes));
    let first;
    if (wire !== "websocket") {
      try {
        return this.sent((await this.connectWebRTC(id)).send(pt, bytes));
      } catch (e) {
        first = e;
        if (wire === "webrtc") throw e;
      }
    }
    try {
      return this.sent((await this.connectWebSocket(id, opts.gateURL)).send(pt, bytes));
    } catch (e) {
      throw new NoRouteError(`no wire to ${actorText(id)}: ${first ? first.message + "; " : ""}${e.message}`, { cause: e });
    }
  }

  /**
   * Calls route on dest and resolves with the response's payload
   * (Uint8Array). opts: timeoutMs (default 30 s: actr requires one),
   * lane ("RPC_RELIABLE" default, or "RPC_SIGNAL"), metadata {key: value},
   * signal (an AbortSignal), wire, traceparent, tracestate. Rejects with
   * RpcError (the peer's ErrorResponse: status, remoteMessage),
   * TimeoutError, CancelledError, LimitError or the send's error.
   */
  call(dest, route, payload, opts = {}) {
    let id;
    try {
      id = toActrId(dest);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.rpc.call(id, actorKey(id), route, payload, opts);
  }

  /** Tells route on dest: one envelope, never answered. */
  tell(dest, route, payload, opts = {}) {
    return this.rpc.tell(toActrId(dest), route, payload, opts);
  }

  /**
   * Serves route (package.Service.Method) with fn(req), whose return
   * value (bytes, a string, nothing, or a Promise of one) is the
   * response; a thrown RpcError answers with its status, anything else
   * thrown with 500. req: from, fromText, routeKey, requestId, payload,
   * metadata, deadline (ms since the epoch), signal (aborted at the
   * caller's deadline), tell, wire, payloadType. Returns the remover.
   */
  handle(route, fn) {
    return this.rpc.handle(route, fn);
  }

  async sent(p) {
    await p;
    this.counters.sent++;
  }

  /** Closes every wire and the signaling connection. */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.rpc.close();
    for (const s of this.rtc.values()) s.close();
    for (const g of this.gates.values()) g.close();
    this.rtc.clear();
    this.gates.clear();
    this.sig.close();
  }
}

function compareIds(a, b) {
  const ka = [a.realm?.realmId ?? 0, BigInt(a.serialNumber ?? 0n), a.type?.manufacturer ?? "", a.type?.name ?? ""];
  const kb = [b.realm?.realmId ?? 0, BigInt(b.serialNumber ?? 0n), b.type?.manufacturer ?? "", b.type?.name ?? ""];
  for (let i = 0; i < 4; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return 0;
}

function withTimeout(p, ms, msg) {
  let t;
  return Promise.race([p, new Promise((_, rej) => (t = setTimeout(() => rej(new NoRouteError(msg)), ms)))]).finally(() => clearTimeout(t));
}
