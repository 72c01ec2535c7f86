// The signaling client: registration over HTTP (POST /register), the
// query-string socket (/signaling/ws), heartbeats, renewal (POST /renew),
// reconnect and resume, requests and relays.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  RegisterRequestSchema, RegisterResponseSchema, RenewCredentialRequestSchema, RenewCredentialResponseSchema,
  SignalingEnvelopeSchema,
} from "../gen/signaling_pb.js";
import { AIdCredentialSchema, ProofOfPossessionSchema } from "../gen/actr_pb.js";
import { toBase64 } from "./bytes.js";
import { ClosedError, PeerProtocolError, RegisterError, SignalingError, TimeoutError } from "./errors.js";
import { actrString } from "./ids.js";
import { newHolderKey, prove } from "./proof.js";

const maxEnvelope = 64 << 10; // the server's own bound
const maxPending = 256;
const callTimeoutMs = 10_000;

/** base: the server's http(s):// or ws(s):// URL. */
export function httpBase(url) {
  const u = new URL(url);
  u.protocol = u.protocol === "wss:" || u.protocol === "https:" ? "https:" : "http:";
  u.pathname = u.pathname.replace(/\/(signaling\/ws)?$/, "");
  u.search = "";
  u.hash = "";
  return u.toString().replace(/\/$/, "");
}

export class SignalingClient {
  /**
   * opts: url, realm, type {manufacturer, name, version}, joinToken or
   * realmSecret, answerOnly, onRelay(relay), onState(state, err),
   * onError(err), backoffMs [min, max].
   */
  constructor(opts) {
    this.opts = opts;
    this.base = httpBase(opts.url);
    this.pending = new Map();
    this.seq = 0;
    this.state = "new";
    this.closed = false;
    this.counters = { envelopesIn: 0, malformed: 0, reconnects: 0, renewals: 0, heartbeats: 0 };
  }

  async start() {
    this.holder = await newHolderKey();
    await this.register();
    await this.connect();
  }

  async register() {
    const t = this.opts.type;
    const req = create(RegisterRequestSchema, {
      actrType: { manufacturer: t.manufacturer, name: t.name, version: t.version || "0" },
      realm: { realmId: this.opts.realm },
      holderKey: this.holder.publicKey,
    });
    const headers = { "Content-Type": "application/x-protobuf" };
    if (this.opts.joinToken) headers["X-Actr-Join-Token"] = this.opts.joinToken;
    if (this.opts.realmSecret) headers["X-Actr-Realm-Secret"] = this.opts.realmSecret;
    const resp = await this.post("/register", toBinary(RegisterRequestSchema, req), headers);
    const out = decodeAnswer(RegisterResponseSchema, resp.bytes, resp.status);
    if (out.result.case !== "success") throw new RegisterError(resp.status, out.result.value?.message ?? "no answer");
    this.adopt(out.result.value);
  }

  adopt(ok) {
    if (!ok.actrId || !ok.credential) throw new PeerProtocolError("RegisterOk without actr_id or credential");
    this.id = ok.actrId;
    this.credential = ok.credential;
    this.renewalToken = ok.renewalToken;
    this.audience = ok.proofAudience;
    this.heartbeatSecs = ok.signalingHeartbeatIntervalSecs || 10;
    const exp = ok.credentialExpiresAt ? Number(ok.credentialExpiresAt.seconds) * 1000 : Date.now() + 3600_000;
    this.credentialExpires = exp;
    // Renewed 5 minutes before it expires, or with a third of its life
    // left if it is shorter: a short-lived credential is renewed in time.
    this.renewMargin = Math.min(5 * 60_000, Math.max(0, exp - Date.now()) / 3);
  }

  /** Whether the credential is due for renewal. */
  renewalDue(now = Date.now()) {
    return this.credentialExpires - now < this.renewMargin && this.renewalToken?.length > 0;
  }

  async post(path, body, headers) {
    let r;
    try {
      r = await fetch(this.base + path, { method: "POST", body, headers, cache: "no-store" });
    } catch (e) {
      throw new RegisterError(0, `POST ${path} failed: the server is unreachable or refused this page's origin (the operator can allow it: actr signal --allow-origin)`);
    }
    const bytes = new Uint8Array(await r.arrayBuffer());
    if (bytes.length > maxEnvelope) throw new PeerProtocolError(`POST ${path}: an answer over 64 KiB`);
    return { status: r.status, bytes };
  }

  /** Renews the credential over HTTP with the renewal token (rotated). */
  async renew() {
    const req = create(RenewCredentialRequestSchema, { actrId: this.id, renewalToken: this.renewalToken });
    const resp = await this.post("/renew", toBinary(RenewCredentialRequestSchema, req), { "Content-Type": "application/x-protobuf" });
    const out = decodeAnswer(RenewCredentialResponseSchema, resp.bytes, resp.status);
    if (out.result.case !== "success") throw new RegisterError(resp.status, out.result.value?.message ?? "no answer");
    const keepAudience = this.audience;
    this.adopt(out.result.value);
    this.audience ||= keepAudience;
    this.counters.renewals++;
  }

  async socketURL() {
    const u = new URL(this.base + "/signaling/ws");
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    const q = u.searchParams;
    q.set("actor_id", actrString(this.id));
    q.set("key_id", String(this.credential.keyId));
    q.set("claims", toBase64(this.credential.claims));
    q.set("signature", toBase64(this.credential.signature));
    if (this.opts.answerOnly) q.set("webrtc_role", "answer");
    const p = await prove(this.holder, this.credential, this.id, this.audience);
    q.set("proof", toBase64(toBinary(ProofOfPossessionSchema, p)));
    return u.toString();
  }

  /** Opens the socket (resuming the registered actor) and resolves once it is open. */
  async connect() {
    if (this.closed) throw new ClosedError("the signaling client is closed");
    const url = await this.socketURL();
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new SignalingError(0, "the signaling socket did not open: the server is down, or refused the credential or this page's origin"));
      ws.onclose = () => reject(new SignalingError(0, "the signaling socket closed before it opened"));
    });
    this.ws = ws;
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onerror = () => {};
    ws.onclose = () => this.onSocketClosed(ws);
    this.setState("connected");
    this.startHeartbeat();
  }

  setState(s, err) {
    this.state = s;
    try {
      this.opts.onState?.(s, err);
    } catch {}
  }

  startHeartbeat() {
    clearInterval(this.hb);
    const every = Math.min(Math.max((this.heartbeatSecs * 1000) / 2, 1000), 10_000);
    this.hb = setInterval(() => this.heartbeat(), every);
  }

  async heartbeat() {
    try {
      const r = await this.call("ping", { availability: 0, powerReserve: 1, mailboxBacklog: 0 });
      this.counters.heartbeats++;
      const pong = r.flow.value?.payload;
      if (pong?.case === "pong" && pong.value.suggestIntervalSecs && pong.value.suggestIntervalSecs !== this.heartbeatSecs) {
        this.heartbeatSecs = pong.value.suggestIntervalSecs;
        this.startHeartbeat();
      }
      if (this.renewalDue()) await this.renew();
    } catch (e) {
      if (!this.closed) this.report(e);
    }
  }

  report(err) {
    try {
      this.opts.onError?.(err);
    } catch {}
  }

  onSocketClosed(ws) {
    if (ws !== this.ws) return;
    clearInterval(this.hb);
    this.ws = null;
    for (const [, p] of this.pending) p.reject(new ClosedError("the signaling socket closed"));
    this.pending.clear();
    if (this.closed) return;
    this.setState("reconnecting");
    this.reconnect();
  }

  /** Reconnects with backoff: resumes with the credential, renews it, or registers anew. */
  async reconnect() {
    const [min, max] = this.opts.backoffMs ?? [100, 5000];
    let delay = min;
    for (let attempt = 0; !this.closed; attempt++) {
      await new Promise((r) => setTimeout(r, delay * (0.8 + 0.4 * Math.random())));
      if (this.closed) return;
      try {
        if (attempt >= 3 && attempt % 3 === 0) {
          // The credential may be unknown to a new server key: renew,
          // or register anew (a new actor id).
          try {
            await this.renew();
          } catch {
            await this.register();
            this.setState("reregistered");
          }
        }
        await this.connect();
        this.counters.reconnects++;
        return;
      } catch (e) {
        this.report(e);
      }
      delay = Math.min(delay * 2, max);
    }
  }

  nextID() {
    return "b" + (++this.seq).toString(36) + Math.random().toString(36).slice(2, 8);
  }

  sendEnvelope(flow, id = this.nextID()) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) throw new ClosedError("the signaling socket is not open");
    const env = create(SignalingEnvelopeSchema, { envelopeVersion: 2, envelopeId: id, flow });
    this.ws.send(toBinary(SignalingEnvelopeSchema, env));
    return id;
  }

  /** Sends an ActrToSignaling request and resolves with its answer envelope. */
  call(kind, value, timeoutMs = callTimeoutMs) {
    if (this.pending.size >= maxPending) return Promise.reject(new SignalingError(0, "too many requests in flight"));
    return this.awaitReply({ case: "actrToServer", value: { source: this.id, credential: this.credential, payload: { case: kind, value } } }, timeoutMs);
  }

  awaitReply(flow, timeoutMs) {
    return new Promise((resolve, reject) => {
      let id;
      try {
        id = this.sendEnvelope(flow);
      } catch (e) {
        reject(e);
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeoutError(`signaling: no answer to ${flow.value.payload.case} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (env) => {
          clearTimeout(timer);
          if (env.flow.case === "envelopeError") reject(new SignalingError(env.flow.value.code, env.flow.value.message));
          else resolve(env);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Relays payload {case, value} to target; with wantReply, resolves with the answer. */
  relay(target, payload, wantReply = false) {
    const flow = { case: "actrRelay", value: { source: this.id, credential: this.credential, target, payload } };
    if (wantReply) return this.awaitReply(flow, callTimeoutMs);
    this.sendEnvelope(flow);
    return Promise.resolve();
  }

  onMessage(data) {
    this.counters.envelopesIn++;
    if (!(data instanceof ArrayBuffer) || data.byteLength > maxEnvelope) {
      this.counters.malformed++;
      return;
    }
    let env;
    try {
      env = fromBinary(SignalingEnvelopeSchema, new Uint8Array(data));
    } catch {
      this.counters.malformed++;
      this.report(new PeerProtocolError("an undecodable signaling envelope"));
      return;
    }
    const p = env.replyFor && this.pending.get(env.replyFor);
    if (p) {
      this.pending.delete(env.replyFor);
      p.resolve(env);
      return;
    }
    if (env.flow.case === "actrRelay") {
      try {
        this.opts.onRelay?.(env.flow.value);
      } catch (e) {
        this.report(e);
      }
    }
  }

  /** The credential and a fresh proof for a gate's audience. */
  async presentTo(audience) {
    const proof = await prove(this.holder, this.credential, this.id, audience);
    return {
      credential: toBase64(toBinary(AIdCredentialSchema, this.credential)),
      proof: toBase64(toBinary(ProofOfPossessionSchema, proof)),
    };
  }

  close() {
    this.closed = true;
    clearInterval(this.hb);
    try {
      this.ws?.close(1000, "bye");
    } catch {}
    for (const [, p] of this.pending) p.reject(new ClosedError("the signaling client is closed"));
    this.pending.clear();
    this.setState("closed");
  }
}

function decodeAnswer(schema, bytes, status) {
  try {
    return fromBinary(schema, bytes);
  } catch {
    throw new RegisterError(status, "the answer is not protobuf: is this a signaling server?");
  }
}
