// Request/reply over the RPC lanes, as actr's RpcEnvelope and as the Go
// rpc package speaks it: calls, tells and handlers by route key.
//
// The rules are the Go side's (rpc/doc.go): a response is matched to a
// call in flight by request_id and by the peer it came from, and one that
// matches none is dropped and counted, never served; an envelope with a
// missing or unknown direction is not RPC at all (it goes to onMessage,
// as the Go endpoint's Fallback gets it); only REQUEST and TELL run
// handlers; a request without request_id cannot be answered and is
// dropped; a bad route key or timeout_ms is answered 400, an unknown
// route 404, too many handlers for one peer 503.
import { create, fromBinary, isFieldSet, toBinary } from "@bufbuild/protobuf";
import { ErrorResponseSchema, MetadataEntrySchema, RpcEnvelopeSchema, RpcEnvelope_Direction as Dir } from "../gen/actr_pb.js";
import { toBytes } from "./bytes.js";
import { CancelledError, ClosedError, InvalidArgumentError, LimitError, RpcError, TimeoutError } from "./errors.js";

/** Error codes of an ErrorResponse, as the Go rpc package numbers them. */
export const RpcCode = Object.freeze({ BAD_REQUEST: 400, UNKNOWN_ROUTE: 404, INTERNAL: 500, OVERLOADED: 503, DEADLINE_EXCEEDED: 504, HANDLER_PANIC: 520 });

const maxRouteKey = 256;
const maxRequestID = 128;
const maxMetadata = 64;

export class RpcEndpoint {
  /**
   * send(id, payloadType, bytes, opts) sends on the actor's wires;
   * emitError reports what nobody awaits.
   */
  constructor({ send, emitError, maxCallsPerPeer = 1024, maxHandlersPerPeer = 64, defaultTimeoutMs = 30_000, maxTimeoutMs = 300_000 }) {
    this.sendBytes = send;
    this.emitError = emitError;
    this.limits = { maxCallsPerPeer, maxHandlersPerPeer, defaultTimeoutMs, maxTimeoutMs };
    this.routes = new Map(); // route key → handler
    this.pending = new Map(); // request id → {peer, resolve, reject, timer}
    this.callsPerPeer = new Map(); // peer key → calls in flight
    this.handlersPerPeer = new Map(); // peer key → handlers running
    this.running = new Set(); // {ac, timer} of each handler running
    this.closed = false;
    this.counters = {
      calls: 0, answered: 0, remoteErrors: 0, timeouts: 0, cancelled: 0, orphans: 0,
      notRpc: 0, handled: 0, handlerErrors: 0, badRequests: 0, unknownRoutes: 0, overloaded: 0,
      unanswerable: 0, tellsRefused: 0, replyFailures: 0,
    };
  }

  /** Serves route with fn(req) → bytes (or a Promise of them); returns the remover. */
  handle(route, fn) {
    if (typeof route !== "string" || route === "" || route.length > maxRouteKey) throw new InvalidArgumentError(`a route key is 1 to ${maxRouteKey} characters`);
    if (typeof fn !== "function") throw new InvalidArgumentError("handle needs a function");
    this.routes.set(route, fn);
    return () => {
      if (this.routes.get(route) === fn) this.routes.delete(route);
    };
  }

  /** Calls route on dest (id, peer key); resolves with the response's payload. */
  call(id, peer, route, payload, opts = {}) {
    if (this.closed) return Promise.reject(new ClosedError("the actor is closed"));
    let pt;
    try {
      checkRoute(route);
      pt = lane(opts.lane);
    } catch (e) {
      return Promise.reject(e);
    }
    const timeoutMs = opts.timeoutMs ?? this.limits.defaultTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return Promise.reject(new InvalidArgumentError(`timeoutMs must be a whole number of milliseconds > 0, not ${timeoutMs}`));
    const inFlight = this.callsPerPeer.get(peer) ?? 0;
    if (inFlight >= this.limits.maxCallsPerPeer) return Promise.reject(new LimitError(`${inFlight} calls already wait for answers from this peer (maxCallsPerPeer); retry when some are answered`));
    if (opts.signal?.aborted) return Promise.reject(new CancelledError(`call to ${route} cancelled before it was sent`));
    const requestId = crypto.randomUUID();
    const env = create(RpcEnvelopeSchema, {
      routeKey: route, payload: toBytes(payload ?? new Uint8Array(0)), direction: Dir.REQUEST,
      requestId, timeoutMs: BigInt(timeoutMs), metadata: metadata(opts.metadata),
    });
    if (opts.traceparent) env.traceparent = opts.traceparent;
    if (opts.tracestate) env.tracestate = opts.tracestate;
    this.counters.calls++;
    return new Promise((resolve, reject) => {
      const p = { peer, resolve, reject, timer: 0, abort: null };
      const settle = (fn, v) => {
        if (this.pending.get(requestId) !== p) return;
        this.pending.delete(requestId);
        this.countCall(peer, -1);
        clearTimeout(p.timer);
        if (p.abort) opts.signal.removeEventListener("abort", p.abort);
        fn(v);
      };
      p.settle = settle;
      p.timer = setTimeout(() => {
        this.counters.timeouts++;
        settle(reject, new TimeoutError(`no response to ${route} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (opts.signal) {
        p.abort = () => {
          this.counters.cancelled++;
          settle(reject, new CancelledError(`call to ${route} cancelled`));
        };
        opts.signal.addEventListener("abort", p.abort, { once: true });
      }
      this.pending.set(requestId, p);
      this.countCall(peer, +1);
      this.sendBytes(id, pt, toBinary(RpcEnvelopeSchema, env), { wire: opts.wire }).catch((e) => settle(reject, e));
    });
  }

  /** Tells route on dest: one envelope, never answered. */
  async tell(id, route, payload, opts = {}) {
    if (this.closed) throw new ClosedError("the actor is closed");
    checkRoute(route);
    const env = create(RpcEnvelopeSchema, {
      routeKey: route, payload: toBytes(payload ?? new Uint8Array(0)), direction: Dir.TELL,
      requestId: crypto.randomUUID(), timeoutMs: 0n, metadata: metadata(opts.metadata),
    });
    await this.sendBytes(id, lane(opts.lane), toBinary(RpcEnvelopeSchema, env), { wire: opts.wire });
  }

  /**
   * serve takes a message from peer on an RPC lane. It returns false when
   * the bytes are not an envelope with a direction (the caller delivers
   * them as a plain message), true when they were RPC's.
   */
  serve(from, peer, fromText, wire, pt, data) {
    let env;
    try {
      env = fromBinary(RpcEnvelopeSchema, data);
    } catch {
      this.counters.notRpc++;
      return false;
    }
    // Missing, or a value we do not know (kept among the unknown fields
    // of a proto2 enum): actr's rule is that it is not an envelope to act on.
    if (!isFieldSet(env, RpcEnvelopeSchema.field.direction) || ![Dir.REQUEST, Dir.RESPONSE, Dir.TELL].includes(env.direction)) {
      this.counters.notRpc++;
      return false;
    }
    if (env.direction === Dir.RESPONSE) this.onResponse(peer, env);
    else this.onRequest(from, peer, fromText, wire, pt, env, env.direction === Dir.TELL);
    return true;
  }

  onResponse(peer, env) {
    const p = this.pending.get(env.requestId);
    if (!p || p.peer !== peer) {
      // Its call timed out, was cancelled or answered, was never made,
      // or was made to another peer.
      this.counters.orphans++;
      return;
    }
    if (env.error) {
      this.counters.remoteErrors++;
      p.settle(p.reject, new RpcError(env.error.code, env.error.message, env.routeKey));
      return;
    }
    this.counters.answered++;
    p.settle(p.resolve, env.payload);
  }

  onRequest(from, peer, fromText, wire, pt, env, tell) {
    const route = env.routeKey, requestId = env.requestId;
    if (!tell && (requestId === "" || requestId.length > maxRequestID)) {
      this.counters.unanswerable++;
      return;
    }
    const refuse = (code, message) => {
      if (tell) {
        this.counters.tellsRefused++;
        return;
      }
      this.reply(from, pt, route, requestId, null, code, message);
    };
    if (route === "" || route.length > maxRouteKey) {
      this.counters.badRequests++;
      return refuse(RpcCode.BAD_REQUEST, `route_key must be 1 to ${maxRouteKey} bytes, not ${route.length}`);
    }
    let timeoutMs = this.limits.defaultTimeoutMs;
    if (!tell) {
      const ms = env.timeoutMs;
      if (ms <= 0n) {
        this.counters.badRequests++;
        return refuse(RpcCode.BAD_REQUEST, `timeout_ms must be > 0 on a request, not ${ms}`);
      }
      timeoutMs = Number(ms < BigInt(this.limits.maxTimeoutMs) ? ms : BigInt(this.limits.maxTimeoutMs));
    }
    const fn = this.routes.get(route);
    if (!fn) {
      this.counters.unknownRoutes++;
      return refuse(RpcCode.UNKNOWN_ROUTE, `no handler for route "${route}"`);
    }
    const running = this.handlersPerPeer.get(peer) ?? 0;
    if (running >= this.limits.maxHandlersPerPeer) {
      this.counters.overloaded++;
      return refuse(RpcCode.OVERLOADED, "too many requests being handled; retry later");
    }
    this.handlersPerPeer.set(peer, running + 1);
    const ac = new AbortController();
    const run = { ac, timer: setTimeout(() => ac.abort(new TimeoutError(`the caller's deadline for ${route} passed`)), timeoutMs) };
    this.running.add(run);
    const md = {};
    for (const m of env.metadata.slice(0, maxMetadata)) md[m.key] = m.value;
    const req = {
      from, fromText, routeKey: route, requestId, payload: env.payload, metadata: md, payloadType: pt, wire, tell,
      deadline: Date.now() + timeoutMs, signal: ac.signal, traceparent: env.traceparent, tracestate: env.tracestate,
    };
    this.counters.handled++;
    Promise.resolve()
      .then(() => fn(req))
      .then(
        (out) => {
          if (!tell) this.reply(from, pt, route, requestId, out, 0, "");
        },
        (e) => {
          this.counters.handlerErrors++;
          if (tell) return;
          if (ac.signal.aborted && e === ac.signal.reason) return this.reply(from, pt, route, requestId, null, RpcCode.DEADLINE_EXCEEDED, e.message);
          const code = e instanceof RpcError ? e.status : RpcCode.INTERNAL;
          this.reply(from, pt, route, requestId, null, code, String(e?.remoteMessage ?? e?.message ?? e));
        },
      )
      .finally(() => {
        clearTimeout(run.timer);
        this.running.delete(run);
        const n = (this.handlersPerPeer.get(peer) ?? 1) - 1;
        if (n > 0) this.handlersPerPeer.set(peer, n);
        else this.handlersPerPeer.delete(peer);
      });
  }

  reply(to, pt, route, requestId, out, code, message) {
    if (this.closed) return; // the actor's wires are gone
    let payload;
    try {
      payload = code ? new Uint8Array(0) : toBytes(out ?? new Uint8Array(0));
    } catch (e) {
      this.counters.handlerErrors++;
      [payload, code, message] = [new Uint8Array(0), RpcCode.INTERNAL, `the handler of ${route} returned what is not bytes: ${e.message}`];
    }
    const env = create(RpcEnvelopeSchema, { routeKey: route, requestId, payload, timeoutMs: 0n, direction: Dir.RESPONSE });
    if (code) env.error = create(ErrorResponseSchema, { code, message });
    this.sendBytes(to, pt, toBinary(RpcEnvelopeSchema, env), {}).catch((e) => {
      this.counters.replyFailures++;
      this.emitError(e);
    });
  }

  countCall(peer, d) {
    const n = (this.callsPerPeer.get(peer) ?? 0) + d;
    if (n > 0) this.callsPerPeer.set(peer, n);
    else this.callsPerPeer.delete(peer);
  }

  /** Calls in flight and handlers running now. */
  get inFlight() {
    let handlers = 0;
    for (const n of this.handlersPerPeer.values()) handlers += n;
    return { calls: this.pending.size, handlers };
  }

  /**
   * Fails every call in flight with ClosedError and aborts the signals of
   * the handlers still running (their answers, if any, are still sent).
   */
  close() {
    this.closed = true;
    for (const r of this.running) {
      clearTimeout(r.timer);
      r.ac.abort(new ClosedError("the actor closed"));
    }
    for (const p of [...this.pending.values()]) p.settle(p.reject, new ClosedError("the actor closed before the response came"));
  }
}

function checkRoute(route) {
  if (typeof route !== "string" || route === "" || route.length > maxRouteKey) throw new InvalidArgumentError(`a route key is 1 to ${maxRouteKey} characters (package.Service.Method)`);
}

function lane(l) {
  if (l === undefined || l === 0 || l === "RPC_RELIABLE") return 0;
  if (l === 1 || l === "RPC_SIGNAL") return 1;
  throw new InvalidArgumentError(`calls go on RPC_RELIABLE or RPC_SIGNAL, not ${l}`);
}

function metadata(md) {
  if (!md) return [];
  const out = [];
  for (const [key, value] of Object.entries(md)) out.push(create(MetadataEntrySchema, { key: String(key), value: String(value) }));
  return out;
}
