// The WebSocket wire to a Go node's gate: identity, credential and proof
// in the query (browsers set no handshake headers; docs/PROTOCOL.md), one
// binary frame per message: [payload type u8][length u32 BE][payload]
// (wire/websocket/frame.go). A text message, a short frame, a length that
// is not the frame's or an unknown payload type closes the connection
// (1003), as the Go side does; nothing the peer sends is thrown.
import { actorHex, actorText } from "./ids.js";
import { ClosedError, InvalidArgumentError, NoRouteError, PeerProtocolError, TimeoutError } from "./errors.js";

const highWater = 4 << 20;

export class GateConn {
  /** opts: { maxMessage, onMessage(pt, bytes), onError(err), onClose(err) } */
  constructor(opts) {
    this.opts = opts;
    this.closed = false;
  }

  async dial(sig, url, remote, timeoutMs = 10_000) {
    const u = new URL(url);
    const { credential, proof } = await sig.presentTo("gate:" + actorText(remote));
    u.searchParams.set("source_id", actorHex(sig.id));
    u.searchParams.set("target_id", actorHex(remote));
    u.searchParams.set("credential", credential);
    u.searchParams.set("proof", proof);
    const ws = new WebSocket(u.toString());
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new TimeoutError(`the gate ${url} did not answer within ${timeoutMs} ms`)), timeoutMs);
      ws.onopen = () => { clearTimeout(t); resolve(); };
      ws.onclose = () => { clearTimeout(t); reject(new NoRouteError(`the gate ${url} refused the connection (credential, realm or this page's origin; the operator can allow an origin: actr node --allow-origin) or is down`)); };
    });
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onclose = (ev) => this.close(new ClosedError(`the gate closed the connection (${ev.code}${ev.reason ? " " + ev.reason : ""})`));
    return this;
  }

  onFrame(data) {
    if (this.closed) return;
    if (!(data instanceof ArrayBuffer)) return this.protocolError("a text message");
    const b = new Uint8Array(data);
    if (b.length < 5) return this.protocolError(`a frame of ${b.length} bytes`);
    const len = new DataView(data).getUint32(1);
    if (len !== b.length - 5) return this.protocolError(`a frame announcing ${len} bytes carries ${b.length - 5}`);
    if (b[0] > 3) return this.protocolError(`payload type ${b[0]}`);
    if (len > this.opts.maxMessage) return this.protocolError(`a message of ${len} bytes`);
    this.opts.onMessage(b[0], b.subarray(5));
  }

  protocolError(what) {
    const e = new PeerProtocolError(`websocket: ${what}: connection closed`);
    try {
      this.opts.onError?.(e);
    } catch {}
    try {
      this.ws.close(1003, "bad frame");
    } catch {}
    this.close(e);
  }

  isReady() {
    return !this.closed && this.ws?.readyState === WebSocket.OPEN;
  }

  async send(pt, msg, timeoutMs = 10_000) {
    if (!this.isReady()) throw new NoRouteError("the WebSocket wire is closed");
    if (msg.length > this.opts.maxMessage) throw new InvalidArgumentError(`a message of ${msg.length} bytes, over the ${this.opts.maxMessage}-byte limit`);
    const f = new Uint8Array(5 + msg.length);
    f[0] = pt;
    new DataView(f.buffer).setUint32(1, msg.length);
    f.set(msg, 5);
    // WebSocket has no drain event: wait for the buffer to go down.
    const start = performance.now();
    while (this.ws.bufferedAmount > highWater) {
      if (performance.now() - start > timeoutMs) throw new TimeoutError(`the gate took nothing for ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
      if (!this.isReady()) throw new NoRouteError("the WebSocket wire closed");
    }
    this.ws.send(f);
  }

  close(err = new ClosedError("closed")) {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws?.close(1000, "bye");
    } catch {}
    try {
      this.opts.onClose?.(err);
    } catch {}
  }
}
