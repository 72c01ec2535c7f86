// What a hostile gate or signaling server can send the client: refused,
// reported to onError, never thrown (runs in Node, no browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import { GateConn } from "../src/wsgate.js";
import { SignalingClient } from "../src/signaling.js";
import { PeerProtocolError } from "../src/errors.js";

function gate() {
  const got = { messages: [], errors: [], closed: 0 };
  const g = new GateConn({ maxMessage: 1 << 20, onMessage: (pt, b) => got.messages.push([pt, b]), onError: (e) => got.errors.push(e), onClose: () => got.closed++ });
  g.ws = { close() {}, readyState: 1 };
  return { g, got };
}

const frame = (pt, body, len = body.length) => {
  const f = new Uint8Array(5 + body.length);
  f[0] = pt;
  new DataView(f.buffer).setUint32(1, len);
  f.set(body, 5);
  return f.buffer;
};

test("a good frame is delivered", () => {
  const { g, got } = gate();
  g.onFrame(frame(2, Uint8Array.of(1, 2, 3)));
  assert.deepEqual(got.messages, [[2, Uint8Array.of(1, 2, 3)]]);
});

for (const [name, data] of [
  ["a text message", "hello"],
  ["a short frame", Uint8Array.of(0, 0).buffer],
  ["a length that is not the frame's", frame(0, Uint8Array.of(1), 5)],
  ["an unknown payload type", frame(9, Uint8Array.of(1))],
  ["a length of 4 GiB", frame(0, new Uint8Array(0), 0xffffffff)],
]) {
  test(`${name} closes the connection and is reported, not thrown`, () => {
    const { g, got } = gate();
    g.onFrame(data);
    assert.equal(got.messages.length, 0);
    assert.ok(got.errors[0] instanceof PeerProtocolError);
    assert.equal(got.closed, 1);
    g.onFrame(frame(0, Uint8Array.of(1))); // nothing after the close
    assert.equal(got.messages.length, 0);
  });
}

test("undecodable or oversized signaling envelopes are counted and dropped", () => {
  const errors = [];
  const relays = [];
  const s = new SignalingClient({ url: "ws://127.0.0.1:1/", realm: 1, type: { manufacturer: "a", name: "b" }, onError: (e) => errors.push(e), onRelay: (r) => relays.push(r) });
  s.onMessage(Uint8Array.of(0xff, 0xff, 0xff).buffer);
  s.onMessage(new ArrayBuffer(65 << 10));
  s.onMessage("text");
  assert.equal(s.counters.malformed, 3);
  assert.equal(relays.length, 0);
});
