// The fragment header on every data channel message (actr's): message id
// u32, index u16, total u16, big-endian; every fragment but the last
// carries exactly maxChunk bytes (wire/webrtc/fragment.go).
import { PeerProtocolError } from "./errors.js";

export const headerSize = 8;
export const maxChannelMessage = 65535;
export const maxChunk = maxChannelMessage - headerSize;

/** Splits msg into data channel messages under message id `id`. */
export function fragments(id, msg) {
  const total = Math.max(1, Math.ceil(msg.length / maxChunk));
  if (total > 0xffff) throw new RangeError("a message of more than 65,535 fragments");
  const out = [];
  for (let i = 0; i < total; i++) {
    const chunk = msg.subarray(i * maxChunk, Math.min(msg.length, (i + 1) * maxChunk));
    const f = new Uint8Array(headerSize + chunk.length);
    const v = new DataView(f.buffer);
    v.setUint32(0, id >>> 0);
    v.setUint16(4, i);
    v.setUint16(6, total);
    f.set(chunk, headerSize);
    out.push(f);
  }
  return out;
}

/**
 * Reassembles one channel's messages within bounds: at most maxMessage
 * bytes a message, maxPartial messages in progress, budget.take/give for
 * the bytes held across the session, and timeoutMs for a message to
 * complete. Anything else is a PeerProtocolError (the message is dropped;
 * nothing is allocated from a length the peer announced).
 */
export class Reassembler {
  constructor({ maxMessage, maxPartial = 16, timeoutMs = 10_000, budget }) {
    this.maxMessage = maxMessage;
    this.maxPartial = maxPartial;
    this.timeoutMs = timeoutMs;
    this.budget = budget;
    this.partial = new Map();
  }

  /** Takes one channel message; returns a whole message, or null. Throws PeerProtocolError. */
  push(bytes) {
    if (bytes.length < headerSize || bytes.length > maxChannelMessage) throw new PeerProtocolError(`a data channel message of ${bytes.length} bytes`);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const id = v.getUint32(0), index = v.getUint16(4), total = v.getUint16(6);
    const chunk = bytes.subarray(headerSize);
    if (total === 0 || index >= total) throw new PeerProtocolError(`fragment ${index} of ${total}`);
    if (index < total - 1 && chunk.length !== maxChunk) throw new PeerProtocolError(`fragment ${index} of ${total} carries ${chunk.length} bytes`);
    if ((total - 1) * maxChunk + (index === total - 1 ? chunk.length : 1) > this.maxMessage) throw new PeerProtocolError(`a message of ${total} fragments, over the ${this.maxMessage}-byte limit`);
    if (total === 1) return chunk.slice();
    this.sweep();
    let p = this.partial.get(id);
    if (!p) {
      if (this.partial.size >= this.maxPartial) throw new PeerProtocolError(`more than ${this.maxPartial} messages in reassembly on one channel`);
      p = { total, parts: new Array(total), have: 0, bytes: 0, started: Date.now() };
      this.partial.set(id, p);
    }
    if (p.total !== total) {
      this.drop(id, p);
      throw new PeerProtocolError(`message ${id}: total ${total}, was ${p.total}`);
    }
    if (p.parts[index]) {
      this.drop(id, p);
      throw new PeerProtocolError(`message ${id}: fragment ${index} twice`);
    }
    if (!this.budget.take(chunk.length)) {
      this.drop(id, p);
      throw new PeerProtocolError("the session's reassembly budget is full");
    }
    p.parts[index] = chunk.slice();
    p.have++;
    p.bytes += chunk.length;
    if (p.have < total) return null;
    this.drop(id, p);
    const out = new Uint8Array(p.bytes);
    let o = 0;
    for (const c of p.parts) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  drop(id, p) {
    this.partial.delete(id);
    this.budget.give(p.bytes);
  }

  sweep() {
    const now = Date.now();
    for (const [id, p] of this.partial) if (now - p.started > this.timeoutMs) this.drop(id, p);
  }

  clear() {
    for (const [id, p] of this.partial) this.drop(id, p);
  }
}

/** A byte budget shared by a session's reassemblers. */
export function byteBudget(max) {
  let used = 0;
  return {
    take(n) {
      if (used + n > max) return false;
      used += n;
      return true;
    },
    give(n) {
      used = Math.max(0, used - n);
    },
    get used() {
      return used;
    },
  };
}
