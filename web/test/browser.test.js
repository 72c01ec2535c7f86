// Browser tests: the client in headless Chromium against real actr
// processes on 127.0.0.1. Run by scripts/browser-test.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { world, start } from "./harness.js";

let w;
before(async () => {
  w = await world();
});
after(async () => {
  await w?.close();
});

// In the page: start an actor with a join token, and echo back what
// anyone but the node sends (so `actr send` gets its reply).
async function startActor(page, opts) {
  return page.evaluate(async (o) => {
    const t = performance.now();
    try {
      window.actor = await window.actr.Actor.start({ signalingURL: o.sig, realm: 1, type: { manufacturer: "acme", name: "browser" }, joinToken: o.token });
    } catch (e) {
      return { error: e.name, code: e.code, status: e.status, message: e.message };
    }
    window.inbox = [];
    window.waiters = [];
    window.actor.onMessage((m) => {
      window.inbox.push(m);
      for (const w of window.waiters.splice(0)) w();
      if (m.fromText !== o.node) window.actor.send(m.from, m.payloadType, m.data).catch(() => {});
    });
    window.received = (n) => new Promise((r) => {
      const look = () => (window.inbox.length >= n ? r() : window.waiters.push(look));
      look();
    });
    return { id: window.actor.idText, serialIsBigInt: typeof window.actor.id.serialNumber === "bigint", loadToRegistered: performance.now() - window.t0, start: performance.now() - t };
  }, { sig: w.sigURL, token: opts?.token ?? w.joinToken(), node: w.nodeID });
}

// Every payload type, a 1 MiB message and 1,000 messages in order, over
// one wire, against the node's echo.
async function exchange(page, wire) {
  return page.evaluate(async ({ node, wire, gate }) => {
    const a = window.actor;
    window.inbox.length = 0;
    const t0 = performance.now();
    if (wire === "webrtc") await a.connectWebRTC(node);
    else await a.connectWebSocket(node, gate);
    const open = performance.now() - t0;
    const enc = new TextEncoder(), dec = new TextDecoder();
    for (let pt = 0; pt < 4; pt++) await a.send(node, pt, enc.encode(`pt ${pt} over ${wire}`), { wire });
    await window.received(4);
    const byType = window.inbox.map((m) => [m.payloadType, dec.decode(m.data), m.wire]);
    const big = new Uint8Array(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 255;
    window.inbox.length = 0;
    await a.send(node, 0, big, { wire });
    await window.received(1);
    const echoed = window.inbox[0].data;
    let same = echoed.length === big.length;
    for (let i = 0; same && i < big.length; i++) same = echoed[i] === big[i];
    window.inbox.length = 0;
    const n = 1000;
    for (let i = 0; i < n; i++) await a.send(node, 0, enc.encode("m" + i), { wire });
    await window.received(n);
    const inOrder = window.inbox.every((m, i) => dec.decode(m.data) === "m" + i);
    // Round trips, one at a time.
    const rtts = [];
    for (let i = 0; i < 200; i++) {
      window.inbox.length = 0;
      const s = performance.now();
      await a.send(node, 0, enc.encode("rtt"), { wire });
      await window.received(1);
      rtts.push(performance.now() - s);
    }
    rtts.sort((x, y) => x - y);
    return { open, byType, bigSame: same, inOrder, wires: [...new Set(window.inbox.map((m) => m.wire))], p50: rtts[100], p99: rtts[197] };
  }, { node: w.nodeID, wire, gate: w.gate });
}

const figures = [];
after(() => {
  if (figures.length) console.log("browser figures:\n" + figures.join("\n"));
});

test("a page registers into a secret realm with a join token; its serial is a BigInt", async () => {
  const page = await w.page();
  const r = await startActor(page);
  assert.equal(r.error, undefined, r.message);
  assert.ok(r.serialIsBigInt);
  figures.push(`page load → registered: ${r.loadToRegistered.toFixed(0)} ms`);
  await page.context().close();
});

test("a forged join token is refused with a typed error", async () => {
  const page = await w.page();
  const r = await startActor(page, { token: "ajt1.AAAAAQAAAABrEayBGiRgIDPInRk.AStRK7G1nU2YPLU2EZ3qbn09b-vD0GWIG6z9wCa4GjI" });
  assert.equal(r.error, "RegisterError");
  assert.equal(r.status, 403);
  await page.context().close();
});

test("a page of a refused origin cannot register", async () => {
  const page = await w.page("localhost");
  const r = await startActor(page);
  assert.equal(r.error, "RegisterError", JSON.stringify(r));
  assert.match(r.message, /origin/);
  await page.context().close();
});

for (const wire of ["webrtc", "websocket"]) {
  test(`the browser dials a Go node over ${wire}: every payload type, 1 MiB, 1,000 in order`, async () => {
    const page = await w.page();
    const s = await startActor(page);
    assert.equal(s.error, undefined, s.message);
    const r = await exchange(page, wire);
    assert.deepEqual(r.byType.map((x) => x[0]).sort(), [0, 1, 2, 3]);
    for (const [pt, text, got] of r.byType) {
      assert.equal(text, `pt ${pt} over ${wire}`);
      assert.equal(got, wire);
    }
    assert.ok(r.bigSame, "the 1 MiB message came back changed");
    assert.ok(r.inOrder, "1,000 messages out of order");
    assert.deepEqual(r.wires, [wire]);
    figures.push(`${wire}: browser dial → open ${r.open.toFixed(0)} ms; round trip p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
    await page.context().close();
  });
}

test("a Go actor dials the browser over WebRTC", async () => {
  const page = await w.page();
  const s = await startActor(page);
  assert.equal(s.error, undefined, s.message);
  const t0 = performance.now();
  const send = start(["send", "--signal", w.sigURL, "--secret-file", w.secrets, "--loopback-only", "--no-websocket", "--to", s.id, "--log-level", "warn", "hello browser"]);
  const code = await send.exited;
  assert.equal(code, 0, send.stderr);
  assert.match(send.lines.join("\n"), /hello browser/);
  assert.match(send.stderr, /reply from .* over webrtc/);
  figures.push(`Go dials the browser (actr send, a whole process: register, dial, round trip): ${(performance.now() - t0).toFixed(0)} ms`);
  await page.context().close();
});
