// The RPC endpoint without a browser: two endpoints joined by an
// in-memory lane, and hostile envelopes fed straight in. Runs in Node.
import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary, fromBinary } from "@bufbuild/protobuf";
import { RpcEnvelopeSchema, RpcEnvelope_Direction as Dir } from "../gen/actr_pb.js";
import { RpcEndpoint, RpcCode } from "../src/rpc.js";
import { CancelledError, ClosedError, LimitError, RpcError, TimeoutError } from "../src/errors.js";

const idA = { $typeName: "actr.ActrId", serialNumber: 1n }, idB = { $typeName: "actr.ActrId", serialNumber: 2n };

// pair joins a and b: what one sends the other serves, asynchronously,
// as a wire would. sent records every envelope on the lane.
function pair(optsA = {}, optsB = {}) {
  const sent = [];
  const ends = {};
  const mk = (self, peer, opts) =>
    new RpcEndpoint({
      ...opts,
      emitError: () => {},
      send: async (to, pt, bytes) => {
        sent.push({ from: self.name, pt, env: fromBinary(RpcEnvelopeSchema, bytes) });
        const other = ends[peer.name];
        queueMicrotask(() => {
          if (!other.serve(self.id, self.name, self.name, "test", pt, bytes)) other.raw.push(bytes);
        });
      },
    });
  const A = { name: "A", id: idA }, B = { name: "B", id: idB };
  ends.A = mk(A, B, optsA);
  ends.B = mk(B, A, optsB);
  ends.A.raw = [];
  ends.B.raw = [];
  return { a: ends.A, b: ends.B, sent };
}

const text = (b) => new TextDecoder().decode(b);
const envBytes = (init) => toBinary(RpcEnvelopeSchema, create(RpcEnvelopeSchema, init));

test("a call is answered with its own response; metadata, deadline and lane reach the handler", async () => {
  const { a, b, sent } = pair();
  let seen;
  b.handle("acme.Echo.Say", (req) => {
    seen = req;
    return "echo:" + text(req.payload);
  });
  const out = await a.call(idB, "B", "acme.Echo.Say", "hi", { timeoutMs: 5000, metadata: { k: "v" }, lane: "RPC_SIGNAL" });
  assert.equal(text(out), "echo:hi");
  assert.equal(seen.metadata.k, "v");
  assert.equal(seen.fromText, "A");
  assert.equal(seen.payloadType, 1);
  assert.ok(seen.deadline > Date.now() && seen.deadline <= Date.now() + 5000);
  assert.deepEqual(sent.map((s) => [s.from, s.pt, s.env.direction]), [["A", 1, Dir.REQUEST], ["B", 1, Dir.RESPONSE]]);
  assert.equal(sent[0].env.timeoutMs, 5000n);
  assert.equal(sent[1].env.requestId, sent[0].env.requestId);
  assert.deepEqual(a.inFlight, { calls: 0, handlers: 0 });
});

test("1,000 concurrent calls are each answered exactly once, with their own response", async () => {
  const { a, b } = pair({}, { maxHandlersPerPeer: 1000 });
  b.handle("n.N.Double", async (req) => {
    await new Promise((r) => setTimeout(r, Math.random() * 5));
    return String(2 * Number(text(req.payload)));
  });
  const got = await Promise.all(Array.from({ length: 1000 }, (_, i) => a.call(idB, "B", "n.N.Double", String(i))));
  got.forEach((g, i) => assert.equal(text(g), String(2 * i)));
  assert.equal(a.counters.answered, 1000);
  assert.equal(a.counters.orphans, 0);
  assert.equal(b.counters.handled, 1000);
});

test("errors come back typed: the handler's own status, 500 for a plain error, 404 for an unknown route", async () => {
  const { a, b } = pair();
  b.handle("x.Y.Forbidden", () => {
    throw new RpcError(403, "not you");
  });
  b.handle("x.Y.Broken", () => {
    throw new Error("boom");
  });
  const cases = [["x.Y.Forbidden", 403, "not you"], ["x.Y.Broken", RpcCode.INTERNAL, "boom"], ["x.Y.Nothing", RpcCode.UNKNOWN_ROUTE, /no handler/]];
  for (const [route, status, msg] of cases) {
    const e = await a.call(idB, "B", route, "").catch((e) => e);
    assert.ok(e instanceof RpcError, `${route}: ${e}`);
    assert.equal(e.status, status);
    assert.match(e.remoteMessage, msg instanceof RegExp ? msg : new RegExp(msg));
  }
  assert.equal(b.counters.unknownRoutes, 1);
  assert.equal(b.counters.handlerErrors, 2);
});

test("a call times out at its deadline; the handler sees its signal abort; the late response is dropped and counted", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { a, b } = pair();
    let release, aborted;
    const handlerStarted = new Promise((r) => b.handle("s.Slow.Wait", (req) => {
      req.signal.addEventListener("abort", () => (aborted = true));
      r();
      return new Promise((res) => (release = res)).then(() => "late");
    }));
    const call = a.call(idB, "B", "s.Slow.Wait", "", { timeoutMs: 1000 }).catch((e) => e);
    await handlerStarted;
    mock.timers.tick(1000);
    const e = await call;
    assert.ok(e instanceof TimeoutError, String(e));
    assert.equal(aborted, true, "the handler's signal did not abort at the caller's deadline");
    release();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(a.counters.orphans, 1, "the late response was not counted as an orphan");
    assert.equal(a.counters.timeouts, 1);
    assert.deepEqual(a.inFlight, { calls: 0, handlers: 0 });
  } finally {
    mock.timers.reset();
  }
});

test("a cancelled call rejects at once and frees its slot", async () => {
  const { a, b } = pair({ maxCallsPerPeer: 1 });
  b.handle("s.Slow.Never", () => new Promise(() => {}));
  const ac = new AbortController();
  const call = a.call(idB, "B", "s.Slow.Never", "", { signal: ac.signal });
  ac.abort();
  assert.ok((await call.catch((e) => e)) instanceof CancelledError);
  assert.equal(a.inFlight.calls, 0);
  const again = a.call(idB, "B", "s.Slow.Never", "");
  assert.ok((await a.call(idB, "B", "s.Slow.Never", "").catch((e) => e)) instanceof LimitError, "a second call beyond maxCallsPerPeer was sent");
  a.close();
  b.close();
  assert.ok((await again.catch((e) => e)) instanceof ClosedError);
});

test("too many handlers for one peer: 503, and the others still served", async () => {
  const { a, b } = pair({}, { maxHandlersPerPeer: 2 });
  const releases = [];
  b.handle("h.H.Hold", () => new Promise((r) => releases.push(r)));
  const held = [a.call(idB, "B", "h.H.Hold", ""), a.call(idB, "B", "h.H.Hold", "")];
  const third = await a.call(idB, "B", "h.H.Hold", "").catch((e) => e);
  assert.ok(third instanceof RpcError && third.status === RpcCode.OVERLOADED, String(third));
  releases.forEach((r) => r("ok"));
  for (const h of await Promise.all(held)) assert.equal(text(h), "ok");
  assert.equal(b.counters.overloaded, 1);
});

test("F15: responses for no call, or from another peer, are dropped; RESPONSE is never executed; no direction is not RPC", async () => {
  const { a, b } = pair();
  let ran = 0;
  a.handle("f.F.Run", () => {
    ran++;
    return "";
  });
  const orphan = envBytes({ routeKey: "f.F.Run", requestId: "nope", direction: Dir.RESPONSE, payload: new Uint8Array([1]) });
  assert.equal(a.serve(idB, "B", "B", "test", 0, orphan), true);
  assert.equal(a.counters.orphans, 1);
  assert.equal(ran, 0, "a RESPONSE ran a handler");

  // A pending call to B, and C answers it with B's request id.
  b.handle("f.F.Wait", () => new Promise(() => {}));
  const call = a.call(idB, "B", "f.F.Wait", "", { timeoutMs: 60_000 });
  await new Promise((r) => setImmediate(r));
  const reqID = [...a.pending.keys()][0];
  const forged = envBytes({ routeKey: "f.F.Wait", requestId: reqID, direction: Dir.RESPONSE, payload: new TextEncoder().encode("forged") });
  a.serve({ serialNumber: 3n }, "C", "C", "test", 0, forged);
  assert.equal(a.counters.orphans, 2);
  assert.equal(a.inFlight.calls, 1, "another peer's response settled the call");

  const noDirection = envBytes({ routeKey: "f.F.Run", requestId: "r", timeoutMs: 5n });
  const unknownDirection = envBytes({ routeKey: "f.F.Run", requestId: "r", timeoutMs: 5n, direction: 9 });
  for (const bytes of [noDirection, unknownDirection, new TextEncoder().encode("hello"), new Uint8Array([0xff, 0xff, 0xff])]) {
    assert.equal(a.serve(idB, "B", "B", "test", 0, bytes), false);
  }
  assert.equal(a.counters.notRpc, 4);
  assert.equal(ran, 0);
  a.close();
  b.close();
  assert.ok((await call.catch((e) => e)) instanceof ClosedError);
});

test("bad requests: no request_id is dropped unanswered, no timeout_ms or route is answered 400", async () => {
  const { a, b, sent } = pair();
  b.handle("b.B.Ok", () => "ok");
  b.serve(idA, "A", "A", "test", 0, envBytes({ routeKey: "b.B.Ok", direction: Dir.REQUEST, timeoutMs: 100n }));
  assert.equal(b.counters.unanswerable, 1);
  assert.equal(sent.length, 0);
  b.serve(idA, "A", "A", "test", 0, envBytes({ routeKey: "b.B.Ok", requestId: "r1", direction: Dir.REQUEST, timeoutMs: 0n }));
  b.serve(idA, "A", "A", "test", 0, envBytes({ routeKey: "", requestId: "r2", direction: Dir.REQUEST, timeoutMs: 100n }));
  b.serve(idA, "A", "A", "test", 0, envBytes({ routeKey: "b.B.Ok", requestId: "r3", direction: Dir.TELL }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent.map((s) => [s.env.requestId, s.env.error?.code]), [["r1", 400], ["r2", 400]]);
  assert.equal(b.counters.badRequests, 2);
  assert.equal(b.counters.handled, 1, "the tell was not served");
  assert.equal(a.counters.orphans, 2, "A made no such calls: its answers are orphans");
});

test("a tell runs its handler and is never answered", async () => {
  const { a, b, sent } = pair();
  const got = new Promise((r) => b.handle("t.T.Note", (req) => r(req)));
  await a.tell(idB, "t.T.Note", "fyi");
  const req = await got;
  assert.equal(req.tell, true);
  assert.equal(text(req.payload), "fyi");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent.map((s) => s.env.direction), [Dir.TELL]);
});

// The bytes against the Go package's golden hex (rpc/golden_test.go),
// written from actr's field numbers.
test("golden bytes: a response and an error response are the Go side's", async () => {
  const { a, b, sent } = pair();
  b.reply(idA, 0, "a.B.C", "r1", "ok", 0, "");
  b.reply(idA, 0, "a.B.C", "r1", null, 404, "no");
  await new Promise((r) => setImmediate(r));
  const hex = (bytes) => Buffer.from(toBinary(RpcEnvelopeSchema, bytes)).toString("hex");
  assert.equal(hex(sent[0].env), "0a05612e422e431202" + "6f6b" + "2002" + "b2060272" + "31" + "c00600");
  assert.equal(hex(sent[1].env), "0a05612e422e43" + "1200" + "1a070894031202" + "6e6f" + "2002" + "b206027231" + "c00600");
  assert.equal(a.counters.orphans, 2);
});

test("golden bytes: the Go side's request is served with every field", async () => {
  const { b, sent } = pair();
  let seen;
  b.handle("a.B.C", (req) => {
    seen = req;
    return "ok";
  });
  const goRequest = Buffer.from("0a05612e422e43" + "12026869" + "2001" + "a2060274" + "70" + "aa06027473" + "b206027231" + "ba06060a016b120176" + "c006dc0b", "hex");
  assert.equal(b.serve(idA, "A", "A", "test", 0, new Uint8Array(goRequest)), true);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(text(seen.payload), "hi");
  assert.deepEqual(seen.metadata, { k: "v" });
  assert.equal(seen.traceparent, "tp");
  assert.equal(seen.tracestate, "ts");
  assert.equal(seen.requestId, "r1");
  assert.ok(seen.deadline - Date.now() <= 1500 && seen.deadline - Date.now() > 1000);
  assert.equal(Buffer.from(toBinary(RpcEnvelopeSchema, sent[0].env)).toString("hex"), "0a05612e422e4312026f6b2002b206027231c00600");
});
